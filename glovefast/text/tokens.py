"""Token id streams: the corpus as final word ids, for every model that reads it.

Ids follow the conventions of the C token stream (``_kernels/tokens.h``): word ids are >= 0,
:data:`SEP` ends a document, :data:`SKIP` holds the position of an unknown word kept in the
window (a fixed dictionary with ``ignore_missing=True``), and ``DROP`` marks a word removed
before windows are formed (min_count, max_vocab); a :class:`TokenStream` never holds ``DROP``.

:class:`TokenStream` is what ``Corpus.fit(..., keep_tokens=True)`` keeps (``corpus.tokens``) and
what ``Word2Vec`` trains on; :class:`TokenWriter` builds one chunk by chunk, in RAM or, past its
share of the memory budget, in a memory-mapped temporary file; :class:`IdCounts` is what the
reading of token lists feeds ids to when only their counts are wanted, and :class:`IdStream` a
first pass's ids (first-seen numbering) kept in RAM or spilled to a file.
"""
import os
import tempfile

import numpy as np

from glovefast._kernels import vocab as vocab_kernel
from glovefast._util.files import storage_error, write_all
from glovefast.errors import InvalidParameterError

#: Separator after every document: windows never cross it.
SEP = int(vocab_kernel.SEP)
#: An unknown word that keeps its position (``ignore_missing=True`` with a fixed dictionary).
SKIP = int(vocab_kernel.SKIP)


class IdCounts:
    """What ``reading.read_token_lists`` feeds ids to, keeping only the count of each id (and of
    the tokens, unknown ones included) without the stream: a vocabulary pass."""

    def __init__(self):
        self.n_seen = 0
        self._counts = np.zeros(0, dtype=np.int64)

    def feed_ids(self, ids):
        self.n_seen += int(np.count_nonzero(ids != vocab_kernel.SEP))
        pos = ids[ids >= 0]
        if pos.size:
            c = np.bincount(pos)
            if c.size > self._counts.size:
                c[:self._counts.size] += self._counts
                self._counts = c.astype(np.int64)
            else:
                self._counts[:c.size] += c

    def stream_counts(self, n):
        out = np.zeros(n, dtype=np.int64)
        m = min(n, self._counts.size)
        out[:m] = self._counts[:m]
        return out


class IdStream(IdCounts):
    """The id stream of a first pass: kept in RAM while it fits ``stream_bytes``, then appended to
    a file in the temporary directory (an input that cannot be read twice). Also keeps the count
    of each id, so the stream need not be scanned for them."""

    def __init__(self, space, stream_bytes, counter=None):
        super().__init__()
        self.counter = counter if counter is not None else vocab_kernel.TokenCounter()
        self.space = space
        self.stream_bytes = stream_bytes
        self.path = None
        self.spilled = 0

    def feed_ids(self, ids):
        self.counter.feed_ids(ids)
        super().feed_ids(ids)
        self.check()

    def check(self):
        """Move the ids held in RAM to the file once they exceed the budget's share."""
        if self.counter.n_tokens * 4 > self.stream_bytes or (self.path is not None and
                                                             self.counter.n_tokens >= 1 << 20):
            self.flush()

    def flush(self):
        if self.path is None:
            self.path = self.space.new_path("ids")
            self._fd = None
        ids = self.counter.tokens()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            write_all(fd, ids, os.path.dirname(self.path), "the token id stream")
        finally:
            os.close(fd)
        self.spilled += len(ids)
        self.counter.keep_tail(0)

    @property
    def in_memory(self):
        return self.path is None

    def iter_file(self, chunk_ids):
        if self.counter.n_tokens:
            self.flush()
        with open(self.path, "rb") as fh:
            while True:
                ids = np.fromfile(fh, dtype=np.int32, count=chunk_ids)
                if ids.size == 0:
                    return
                yield ids


class TokenStream:
    """The corpus as final word ids with document boundaries (``Corpus.fit(..., keep_tokens=True)``).

    The stream is one contiguous int32 array, :attr:`ids`: word ids numbered as the
    vocabulary's (0 is the most frequent word; a fixed dictionary's own ids), :data:`SEP` (-1)
    after every document, so a consumer finds boundaries in the same array it reads (no second
    offsets array to keep in step), and :data:`SKIP` (-2) where an unknown word kept its
    position under a fixed dictionary with ``ignore_missing=True`` (GloVe's windows count the
    position; a model that treats unknown words as dropped simply leaves SKIP out). Words that
    min_count/max_vocab dropped are not in the stream: they were removed before windows were
    formed. There is no leading separator and no empty document.

    The ids live in RAM (a numpy array) or, past the memory budget's share, in a read-only
    ``numpy.memmap`` of a temporary file that is already unlinked (it disappears with the last
    reference). The stream can be iterated any number of times (:meth:`documents`) and split
    into per-thread shares (:meth:`shares`) without copying.

    Parameters
    ----------
    ids : array of int32
        The stream (see above); kept as given, not copied.
    counts : array of int64
        Occurrences of each word id (the vocabulary's counts, ``corpus.word_counts``).
    words : list of str, optional
        The words in id order.

    Attributes
    ----------
    ids : numpy.ndarray or numpy.memmap of int32
    counts : numpy.ndarray of int64
    words : list of str or None
    """

    SEP = SEP
    SKIP = SKIP

    def __init__(self, ids, counts, words=None):
        ids = ids if isinstance(ids, np.memmap) else np.asarray(ids)
        if ids.dtype != np.int32 or ids.ndim != 1:
            raise InvalidParameterError(f"token ids must be a 1-D int32 array, got {ids.dtype} of shape {ids.shape}")
        self.ids = ids
        self.counts = np.asarray(counts, dtype=np.int64)
        self.words = None if words is None else list(words)
        if self.words is not None and len(self.words) != len(self.counts):
            raise InvalidParameterError(f"{len(self.words)} words for {len(self.counts)} counts")
        self._n_documents = None

    @property
    def n_words(self):
        """Vocabulary size: word ids are 0..n_words-1."""
        return len(self.counts)

    @property
    def n_tokens(self):
        """Word tokens in the stream (ids >= 0): the sum of :attr:`counts`."""
        return int(self.counts.sum())

    @property
    def n_documents(self):
        """Documents (separators) in the stream; counted on first use."""
        if self._n_documents is None:
            self._n_documents = sum(int(np.count_nonzero(self.ids[a:a + _SCAN] == SEP))
                                    for a in range(0, len(self.ids), _SCAN))
        return self._n_documents

    def __len__(self):
        """Length of :attr:`ids`: word tokens, SKIP placeholders and separators."""
        return len(self.ids)

    def document_ends(self):
        """Positions one past each document's separator (int64): document k is
        ``ids[ends[k-1]:ends[k] - 1]``, with ``ends[-1] == len(ids)``."""
        return np.concatenate([np.flatnonzero(self.ids[a:a + _SCAN] == SEP) + (a + 1)
                               for a in range(0, len(self.ids), _SCAN)] or [np.zeros(0, np.int64)]).astype(np.int64)

    def documents(self):
        """Each document's ids (a view, without its separator), in order; can be called again."""
        start = 0
        for end in self.document_ends():
            yield self.ids[start:end - 1]
            start = int(end)

    def __iter__(self):
        return self.documents()

    def shares(self, n_parts):
        """Split the stream into ``n_parts`` consecutive ``(start, end)`` ranges of about equal
        length for threads, each ending after a separator when one lies in the second half of its
        range (so documents rarely straddle two threads); ranges may be empty, they cover
        ``[0, len(ids))`` without gaps."""
        if isinstance(n_parts, bool) or not isinstance(n_parts, (int, np.integer)) or n_parts < 1:
            raise InvalidParameterError(f"n_parts must be an integer >= 1, got {n_parts!r}")
        n = len(self.ids)
        step = n / n_parts
        cuts = [0]
        for k in range(1, n_parts):
            target = max(int(round(k * step)), cuts[-1])
            # the first separator at or after the even cut, within half a share of it
            window = self.ids[target:min(n, target + max(int(step) // 2, 1))]
            hits = np.flatnonzero(window == SEP)
            cuts.append(min(n, target + int(hits[0]) + 1) if len(hits) else target)
        cuts.append(n)
        return [(a, b) for a, b in zip(cuts, cuts[1:])]

    def without_skips(self):
        """A stream in RAM without the SKIP placeholders: unknown words as dropped (word2vec's
        semantics) instead of as kept positions. Returns ``self`` when there are none (a
        memory-mapped stream is then only scanned, never copied)."""
        if not any((self.ids[a:a + _SCAN] == SKIP).any() for a in range(0, len(self.ids), _SCAN)):
            return self
        keep = np.concatenate([self.ids[a:a + _SCAN][self.ids[a:a + _SCAN] != SKIP]
                               for a in range(0, len(self.ids), _SCAN)] or [np.zeros(0, np.int32)])
        # an all-unknown document now has nothing before its separator: drop that separator too
        sep = keep == SEP
        empty = sep & np.concatenate(([True], sep[:-1]))
        return TokenStream(keep[~empty], self.counts, self.words)

    def __repr__(self):
        where = "memory-mapped" if isinstance(self.ids, np.memmap) else "in RAM"
        return (f"TokenStream({self.n_tokens:,} tokens, {self.n_documents:,} documents, {self.n_words:,} words, "
                f"{where})")


#: Ids scanned per step where the stream may be memory-mapped (16 MiB of int32): bounded temporaries.
_SCAN = 1 << 22


class TokenWriter:
    """Builds a :class:`TokenStream` from id chunks as counting produces them: in RAM up to
    ``ram_bytes``, then in an unlinked temporary file in ``tmp_dir`` that the stream maps.

    Chunks may hold DROP (removed), runs of separators (collapsed) and a leading separator
    (removed), as the counters' buffers do; :meth:`finish` ends the last document."""

    def __init__(self, ram_bytes, tmp_dir=None):
        self.ram_bytes = int(ram_bytes)
        self.tmp_dir = tmp_dir
        self._chunks = []
        self._n = 0
        self._file = None
        self._last_was_sep = True  # nothing written yet: a leading separator is dropped

    def add(self, ids):
        ids = np.asarray(ids, dtype=np.int32)
        ids = ids[ids != vocab_kernel.DROP]
        if not len(ids):
            return
        sep = ids == SEP
        before = np.empty_like(sep)
        before[0] = self._last_was_sep
        before[1:] = sep[:-1]
        ids = ids[~(sep & before)]
        if not len(ids):
            return
        self._last_was_sep = bool(ids[-1] == SEP)
        self._n += len(ids)
        if self._file is None and 4 * self._n > self.ram_bytes:
            self._spill()
        if self._file is not None:
            write_all(self._file, ids, self._directory(), "the kept token stream")
        else:
            self._chunks.append(ids.copy())

    def _directory(self):
        return self.tmp_dir if self.tmp_dir is not None else tempfile.gettempdir()

    def _spill(self):
        directory = self._directory()
        try:
            self._file = tempfile.TemporaryFile(dir=directory, prefix="glovefast-tokens-", buffering=0)
        except OSError as exc:
            raise storage_error(exc, directory, "the kept token stream", 4 * self._n) from exc
        for chunk in self._chunks:
            write_all(self._file, chunk, directory, "the kept token stream")
        self._chunks = []

    def finish(self, counts, words=None):
        """The stream written so far, its last document ended; the writer is spent."""
        if not self._last_was_sep:
            self.add(np.array([SEP], dtype=np.int32))
        if self._file is not None:
            ids = np.memmap(self._file, dtype=np.int32, mode="r", shape=(self._n,)) if self._n else \
                np.zeros(0, dtype=np.int32)
            self._file.close()  # the map keeps the (unlinked) file's pages
            self._file = None
        else:
            ids = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int32)
            self._chunks = []
        return TokenStream(ids, counts, words)

    def close(self):
        """Drop what was written (after an error)."""
        self._chunks = []
        if self._file is not None:
            self._file.close()
            self._file = None


__all__ = ["SEP", "SKIP", "IdCounts", "IdStream", "TokenStream", "TokenWriter"]
