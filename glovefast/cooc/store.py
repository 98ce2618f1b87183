"""The on-disk cooccurrence store: counting's output when it should not (or cannot) live in RAM.

Layout (version 1)
------------------
A store is a directory::

    STORE/
      manifest.json            what the store holds (below); written last
      vocabulary.json          the words in id order (a JSON list of str), optional
      word_counts.i8           int64 little-endian, one per word, optional
      tokens.i4                int32 little-endian: the corpus as word ids, optional (see below)
      shard-00000.row.i4       int32 little-endian row ids of shard 0
      shard-00000.col.i4       int32 little-endian column ids of shard 0
      shard-00000.count.f8     float64 little-endian counts of shard 0
      shard-00001.row.i4 ...

``manifest.json``::

    {"format": "glovefast.cooccurrence-store", "version": 1,
     "n_words": V, "nnz": N, "symmetric": true,
     "shards": [{"name": "shard-00000", "row_start": 0, "row_end": 812, "nnz": 1048576}, ...],
     "vocabulary": true, "params": {...}, "n_tokens": 29000000, "tokens": 29123456}

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
the count in advance. A store is written into a temporary sibling directory and renamed into
place when complete: a crashed or interrupted write never leaves a directory that looks whole.
"""
import json
import os
import shutil
import tempfile

import numpy as np
import scipy.sparse as sp

from glovefast._util.interrupts import critical
from glovefast._util.memory import format_bytes, resolve_budget
from glovefast._util.validation import check_int
from glovefast.errors import FormatError, InvalidParameterError, MemoryBudgetError, StorageError
from glovefast.text.sources import compression_suffix

FORMAT = "glovefast.cooccurrence-store"
VERSION = 1
MANIFEST = "manifest.json"
VOCABULARY = "vocabulary.json"
WORD_COUNTS = "word_counts.i8"
TOKENS = "tokens.i4"

#: Column files of a shard: suffix and dtype.
COLUMNS = (("row", ".row.i4", np.dtype("<i4")), ("col", ".col.i4", np.dtype("<i4")),
           ("count", ".count.f8", np.dtype("<f8")))

#: Bytes one entry takes in RAM as a scipy COO (int32 row + int32 col + float64 count).
ENTRY_BYTES = 16


def is_store(path):
    """True when ``path`` is a directory holding a store manifest."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, MANIFEST))


class Shard:
    """One shard's row range, entry count and file paths (see the module docstring)."""

    __slots__ = ("directory", "name", "row_start", "row_end", "nnz")

    def __init__(self, directory, name, row_start, row_end, nnz):
        self.directory = directory
        self.name = name
        self.row_start = row_start
        self.row_end = row_end
        self.nnz = nnz

    def path(self, column):
        for col, suffix, _ in COLUMNS:
            if col == column:
                return os.path.join(self.directory, self.name + suffix)
        raise KeyError(column)

    def arrays(self, mmap=True):
        """(rows int32, cols int32, counts float64): read-only memory maps, or arrays in RAM."""
        out = []
        for column, suffix, dtype in COLUMNS:
            path = os.path.join(self.directory, self.name + suffix)
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
        self.shards = [Shard(path, s["name"], s["row_start"], s["row_end"], s["nnz"]) for s in manifest["shards"]]

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
        for shard in store.shards:
            for column, suffix, dtype in COLUMNS:
                fpath = os.path.join(path, shard.name + suffix)
                size = os.path.getsize(fpath) if os.path.isfile(fpath) else -1
                if size != shard.nnz * dtype.itemsize:
                    raise FormatError(
                        f"{fpath}: expected {shard.nnz * dtype.itemsize} bytes for {shard.nnz} entries, found "
                        f"{'no file' if size < 0 else f'{size} bytes'}; the store is incomplete or was modified"
                    )
        if store.has_vocabulary:
            wc = os.path.join(path, WORD_COUNTS)
            if not os.path.isfile(wc) or os.path.getsize(wc) != 8 * store.n_words:
                raise FormatError(f"{wc}: expected {8 * store.n_words} bytes of word counts")
        if store.has_tokens:
            tk = os.path.join(path, TOKENS)
            if not os.path.isfile(tk) or os.path.getsize(tk) != 4 * manifest["tokens"]:
                raise FormatError(f"{tk}: expected {4 * manifest['tokens']} bytes of token ids")
        return store

    def iter_shards(self, mmap=True):
        """Yield (rows, cols, counts) of each shard in row order (memory maps by default)."""
        for shard in self.shards:
            yield shard.arrays(mmap=mmap)

    def words(self):
        """The words in id order, or None when the store holds no vocabulary."""
        if not self.has_vocabulary:
            return None
        vpath = os.path.join(self.path, VOCABULARY)
        try:
            with open(vpath, encoding="utf-8") as fh:
                words = json.load(fh)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise FormatError(f"{vpath}: unreadable vocabulary ({exc})") from None
        if (not isinstance(words, list) or len(words) != self.n_words
                or not all(isinstance(w, str) and w for w in words) or len(set(words)) != len(words)):
            raise FormatError(f"{vpath}: the vocabulary must be a list of {self.n_words} distinct non-empty strings")
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
        return np.memmap(os.path.join(self.path, TOKENS), dtype="<i4", mode="r", shape=(self.manifest["tokens"],))

    def word_counts(self):
        """Occurrences of each word (int64), or None when the store holds no vocabulary."""
        if not self.has_vocabulary:
            return None
        return np.fromfile(os.path.join(self.path, WORD_COUNTS), dtype="<i8", count=self.n_words)

    def to_coo(self, memory=None):
        """The whole matrix as a scipy COO in RAM (sorted, canonical).

        Parameters
        ----------
        memory : int or str, optional
            Budget for the result; MemoryBudgetError when ``16 * nnz`` bytes exceed it.
        """
        need = ENTRY_BYTES * self.nnz
        budget = resolve_budget(memory)
        if need > budget:
            raise MemoryBudgetError(
                f"the cooccurrence matrix in {self.path} has {self.nnz:,} entries: {format_bytes(need)} in RAM as a "
                f"scipy COO, more than the memory budget ({format_bytes(budget)}). Train from the store directly "
                "(Glove().fit(store)) or raise the budget"
            )
        rows = np.empty(self.nnz, dtype=np.int32)
        cols = np.empty(self.nnz, dtype=np.int32)
        counts = np.empty(self.nnz, dtype=np.float64)
        pos = 0
        for r, c, x in self.iter_shards(mmap=True):
            n = len(r)
            rows[pos:pos + n] = r
            cols[pos:pos + n] = c
            counts[pos:pos + n] = x
            pos += n
        matrix = sp.coo_matrix((counts, (rows, cols)), shape=self.shape)
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
            names = [MANIFEST] + [s.name + suffix for s in self.shards for _, suffix, _ in COLUMNS]
            if self.has_vocabulary:
                names += [VOCABULARY, WORD_COUNTS]
            if tokens is not None:
                writer.add_tokens(tokens)
            elif self.has_tokens:
                names.append(TOKENS)
                writer._tokens = self.manifest["tokens"]
            try:
                for name in names[1:]:
                    src, dst = os.path.join(self.path, name), os.path.join(writer.tmp, name)
                    try:
                        os.link(src, dst)
                    except OSError:
                        shutil.copyfile(src, dst)
            except OSError as exc:
                writer.abort()
                raise StorageError(f"cannot copy cooccurrence store {self.path!r} to {path!r}: {exc}") from exc
            writer.shards = [{"name": s.name, "row_start": s.row_start, "row_end": s.row_end, "nnz": s.nnz}
                             for s in self.shards]
            writer.nnz = self.nnz
            writer._next_row = self.n_words
            writer._vocabulary = self.has_vocabulary
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
        parent = check_target(path, overwrite)
        try:
            with critical():  # a signal between mkdtemp and the assignment would orphan the directory
                self.tmp = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".tmp-", dir=parent)
        except OSError as exc:
            raise StorageError(f"cannot create cooccurrence store {path!r}: {exc}") from exc
        self.shards = []
        self.nnz = 0
        self._next_row = 0
        self._files = None
        self._open = None  # (name, row_start, nnz so far, last key)
        self._vocabulary = False  # set by add_vocabulary
        self._tokens = None  # set by add_tokens: the number of token ids

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
            self._files = [open(os.path.join(self.tmp, name + suffix), "wb") for _, suffix, _ in COLUMNS]
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

    def adopt_shard(self, files, row_start, row_end, nnz):
        """Move the column files of a shard written elsewhere (e.g. by
        :func:`glovefast.cooc.counting.merge_runs` on another worker) into the store as its next shard.

        ``files`` maps ``"row"``, ``"col"`` and ``"count"`` to paths on the same file system; their
        sizes must match ``nnz``. The entries are trusted to be sorted within ``[row_start,
        row_end)`` (the merge wrote them so); :meth:`CooccurrenceStore.open` checks the sizes again.
        """
        if self._open is not None:
            raise InvalidParameterError("end the current shard before adopting another")
        if row_start != self._next_row or row_end < row_start or row_end > self.n_words:
            raise InvalidParameterError(f"shards must cover the rows in order: expected a shard starting at row "
                                        f"{self._next_row}, got [{row_start}, {row_end})")
        name = f"shard-{len(self.shards):05d}"
        for column, suffix, dtype in COLUMNS:
            src = os.fspath(files[column])
            if os.path.getsize(src) != nnz * dtype.itemsize:
                self.abort()
                raise FormatError(f"{src}: expected {nnz * dtype.itemsize} bytes for {nnz} entries")
            try:
                os.replace(src, os.path.join(self.tmp, name + suffix))
            except OSError as exc:
                self.abort()
                raise StorageError(f"cannot move {src!r} into cooccurrence store {self.path!r}: {exc}") from exc
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
            with open(os.path.join(self.tmp, VOCABULARY), "w", encoding="utf-8") as fh:
                json.dump(words, fh, ensure_ascii=False)
            counts.tofile(os.path.join(self.tmp, WORD_COUNTS))
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r}: {exc}") from exc
        self._vocabulary = True

    def add_tokens(self, ids):
        """Store the corpus's token ids (an int32 array or memory map, written in bounded pieces)."""
        ids = np.asarray(ids) if not isinstance(ids, np.memmap) else ids
        if ids.ndim != 1 or ids.dtype.kind != "i":
            raise InvalidParameterError("token ids must be a 1-D integer array")
        try:
            with open(os.path.join(self.tmp, TOKENS), "wb") as fh:
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
            if os.path.lexists(self.path):
                # replace an old store: move it aside first so a failure keeps one whole store
                old = self.tmp + "-old"
                os.rename(self.path, old)
                os.rename(self.tmp, self.path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r}: {exc}") from exc
        self.tmp = None
        return CooccurrenceStore.open(self.path)

    def abort(self):
        """Remove everything written so far (idempotent)."""
        if self._files:
            for fh in self._files:
                try:
                    fh.close()
                except OSError:
                    pass
            self._files = None
        self._open = None
        if self.tmp is not None:
            with critical():  # Ctrl-C waits until the directory is gone, not half-removed
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
        elif self.tmp is not None:
            self.abort()  # left without finish(): nothing is published
        return False


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
    if m.get("version") != VERSION:
        raise FormatError(f"{where}: store version {str(m.get('version'))[:20]!r}; this glovefast reads "
                          f"version {VERSION} (upgrade glovefast)")
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


__all__ = ["CooccurrenceStore", "Shard", "StoreWriter", "check_target", "is_store"]
