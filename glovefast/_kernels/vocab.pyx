# cython: language_level=3
"""The tokens and vocabulary stage: tokenising text in C into a token id stream while counting its
words (vocab.h, the stream's conventions in tokens.h), and the vocabulary's id order."""
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint64_t, uint8_t
from libc.stdlib cimport free, malloc

import numpy as np

from glovefast._kernels.platform cimport clamp_threads, gf_big_free
from glovefast._kernels.tokens cimport GF_DROP, GF_SEP, GF_SKIP, gf_ibuf_reserve

from glovefast._util.validation import decode_token

#: The token stream's markers (tokens.h): a document separator, an unknown word that keeps its
#: position, a word removed without a trace.
SEP = GF_SEP
SKIP = GF_SKIP
DROP = GF_DROP


cdef class _WordRefs:
    """Where n words' bytes are (pointers and lengths, malloc'd), for gf_order_words."""
    cdef const char **ptrs
    cdef uint64_t *lens
    cdef int64_t n

    def __cinit__(self, int64_t n):
        self.n = n
        self.ptrs = <const char **> malloc(max(n, 1) * sizeof(char *))
        self.lens = <uint64_t *> malloc(max(n, 1) * sizeof(uint64_t))
        if self.ptrs == NULL or self.lens == NULL:
            raise MemoryError("cannot order the vocabulary")

    def __dealloc__(self):
        free(self.ptrs)
        free(self.lens)

    cdef order(self, const int64_t[::1] counts):
        """Positions sorted by descending count, ties in bytes order (int64 array)."""
        out = np.empty(self.n, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int rc = 0
        if self.n:
            with nogil:
                rc = gf_order_words(self.ptrs, self.lens, &counts[0], self.n, &o[0])
        if rc != 0:
            raise MemoryError("cannot order the vocabulary")
        return out


def order_words(list words not None, const int64_t[::1] counts not None):
    """Positions of ``words`` (distinct bytes) sorted by descending ``counts``, ties in bytes
    order: the vocabulary's id order (int64 array)."""
    cdef int64_t n = len(words), k
    cdef bytes w
    if counts.shape[0] != n:
        raise ValueError(f"{n} words but {counts.shape[0]} counts")
    cdef _WordRefs refs = _WordRefs(n)
    for k in range(n):
        w = words[k]  # a TypeError for anything but bytes
        refs.ptrs[k] = w  # the list keeps the bytes alive
        refs.lens[k] = len(w)
    return refs.order(counts)


cdef class TokenCounter:
    """A stream of token ids with document separators, and for text input its vocabulary.

    Text chunks (``feed_text``) are tokenised on ASCII whitespace in C and words get first-seen
    ids; id arrays (``feed_ids``) come from the Python token-list path. ``remap`` renumbers the
    stream in place; a counter (``glovefast._kernels.cooc.Cooccurrence.count_ids``) reads it
    through :meth:`ids`.
    """
    cdef gf_vocab v
    cdef gf_vocab_helper *helper  # the second thread's table (feed_text with threads > 1)
    cdef readonly int threads
    cdef readonly int64_t split_bytes
    cdef public dict timings  # seconds per stage of the last cooccur() call

    def __cinit__(self, int threads=1, int64_t split_bytes=1 << 18):
        """``threads`` > 1: ``feed_text`` tokenizes chunks of at least ``split_bytes`` on two
        threads (the vocabulary pass of a text corpus; same words, counts and stream)."""
        if gf_vocab_init(&self.v) != 0:
            raise MemoryError("cannot allocate the vocabulary table")
        self.threads = clamp_threads(threads)
        self.split_bytes = max(split_bytes, 2)

    def __dealloc__(self):
        gf_vocab_free(&self.v)
        if self.helper != NULL:
            gf_vocab_helper_free(self.helper)
            free(self.helper)

    def feed_text(self, const uint8_t[::1] chunk not None):
        """Tokenise bytes that end on whitespace (a partial trailing token must be carried over)."""
        cdef int64_t n = chunk.shape[0]
        cdef int rc
        if n == 0:
            return
        if self.threads > 1 and n >= self.split_bytes and self.helper == NULL:
            self.helper = <gf_vocab_helper *> malloc(sizeof(gf_vocab_helper))
            if self.helper == NULL or gf_vocab_helper_init(self.helper) != 0:
                free(self.helper)
                self.helper = NULL
                raise MemoryError("cannot allocate the vocabulary table")
        with nogil:
            if self.helper != NULL and n >= self.split_bytes:
                rc = gf_vocab_feed_split(&self.v, self.helper, <const char *>&chunk[0], n)
            else:
                rc = gf_vocab_feed(&self.v, <const char *>&chunk[0], n)
        if rc != 0:
            raise MemoryError("out of memory while tokenising")

    def feed_ids(self, const int32_t[::1] ids not None):
        """Append ids as given: word ids >= 0, SKIP placeholders and SEP document separators."""
        cdef int64_t n = ids.shape[0], k
        cdef int32_t t
        cdef int last_sep = self.v.last_was_sep
        if n == 0:
            return
        if gf_ibuf_reserve(&self.v.tokens, n) != 0:
            raise MemoryError("out of memory while storing token ids")
        cdef int32_t *out = self.v.tokens.data
        cdef int64_t o = self.v.tokens.n
        for k in range(n):
            t = ids[k]
            if t == GF_SEP:
                if last_sep:
                    continue
                last_sep = 1
            else:
                last_sep = 0
            out[o] = t
            o += 1
        self.v.tokens.n = o
        self.v.last_was_sep = last_sep

    def end_document(self):
        """Close the current document (end of a file), so windows do not cross it."""
        if not self.v.last_was_sep:
            if gf_ibuf_reserve(&self.v.tokens, 1) != 0:
                raise MemoryError("out of memory while storing token ids")
            self.v.tokens.data[self.v.tokens.n] = GF_SEP
            self.v.tokens.n += 1
            self.v.last_was_sep = 1

    @property
    def n_words(self):
        return self.v.n

    @property
    def n_tokens(self):
        """Length of the id stream (words, SKIP placeholders and separators)."""
        return self.v.tokens.n

    def words(self):
        """The text path's words (bytes) in first-seen id order."""
        cdef int64_t i
        return [self.v.arena[self.v.words[i].offset:self.v.words[i].offset + self.v.words[i].len]
                for i in range(self.v.n)]

    def select(self, int64_t min_count, max_vocab=None):
        """The vocabulary's selection from the table: the words counted at least ``min_count``
        times, by descending count then bytes, at most ``max_vocab`` of them. Returns (words as
        str in id order, their counts int64, their first-seen ids int64). All per-word work is
        here, in C: no bytes objects, and one decode per kept word."""
        cdef int64_t n = self.v.n, m = 0, i, k, keep_n
        cdef gf_word *wd = self.v.words
        for i in range(n):
            m += wd[i].count >= min_count
        ids = np.empty(m, dtype=np.int64)
        counts = np.empty(m, dtype=np.int64)
        cdef int64_t[::1] ids_v = ids
        cdef int64_t[::1] counts_v = counts
        cdef _WordRefs refs = _WordRefs(m)
        k = 0
        for i in range(n):
            if wd[i].count >= min_count:
                ids_v[k] = i
                counts_v[k] = wd[i].count
                refs.ptrs[k] = self.v.arena + wd[i].offset
                refs.lens[k] = wd[i].len
                k += 1
        order = refs.order(counts)
        keep_n = m if max_vocab is None or max_vocab > m else max_vocab
        order = order[:keep_n]
        ids = ids[order]
        counts = counts[order]
        ids_v = ids
        words = [None] * keep_n
        cdef gf_word *w
        for k in range(keep_n):
            w = &wd[ids_v[k]]
            try:
                words[k] = PyUnicode_DecodeUTF8(self.v.arena + w.offset, w.len, NULL)
            except UnicodeDecodeError:
                decode_token(self.v.arena[w.offset:w.offset + w.len])  # raises, naming the word
                raise
        return words, counts, ids

    def counts(self):
        """The text path's word counts in first-seen id order."""
        out = np.empty(self.v.n, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int64_t i
        for i in range(self.v.n):
            o[i] = self.v.words[i].count
        return out

    def stream_counts(self, int64_t n_ids):
        """Occurrences of each id 0..n_ids-1 in the stream (for the token-list path)."""
        out = np.zeros(n_ids, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int64_t k
        cdef int32_t t
        with nogil:
            for k in range(self.v.tokens.n):
                t = self.v.tokens.data[k]
                if t >= 0 and t < n_ids:
                    o[t] += 1
        return out

    def tokens(self):
        """A copy of the id stream (for tests and debugging)."""
        out = np.empty(self.v.tokens.n, dtype=np.int32)
        cdef int32_t[::1] o = out
        cdef int64_t k
        for k in range(self.v.tokens.n):
            o[k] = self.v.tokens.data[k]
        return out

    def remap(self, const int32_t[::1] remap not None):
        """Rewrite ids through ``remap`` (first-seen id -> final id, SKIP or DROP), in place."""
        cdef int64_t k, n = self.v.tokens.n
        cdef int32_t t, m = remap.shape[0]
        for k in range(n):
            t = self.v.tokens.data[k]
            if t >= m or t < GF_SKIP:
                raise IndexError(f"token id {t} has no entry in the remap table of size {m}")
        if n == 0:
            return 0
        with nogil:
            n = gf_remap_tokens(self.v.tokens.data, n, &remap[0])
        self.v.tokens.n = n
        return n

    def count_only(self):
        """Stop keeping the id stream (free it): later text only adds to the word counts."""
        gf_ibuf_free_tokens(&self.v)
        self.v.drop_tokens = 1

    def load_words(self, words):
        """Fill an empty table with ``words`` (bytes, distinct) so that word k gets id k: the
        counting pass then maps text to final ids with :meth:`feed_known`."""
        cdef bytes w
        cdef int64_t k
        if self.v.n:
            raise ValueError("load_words needs an empty table")
        for k, w in enumerate(words):
            if gf_vocab_add(&self.v, w, len(w)) != k:
                raise ValueError(f"word {w!r} is repeated or the table is out of memory")

    def feed_known(self, const uint8_t[::1] chunk not None, int32_t unknown):
        """Tokenise bytes that end on whitespace, appending the ids of words in the table.

        Unknown words: ``DROP`` leaves no trace, ``SKIP`` keeps a placeholder; any other value
        stops and returns the unknown word (bytes). Returns None when the chunk was consumed."""
        cdef int64_t n = chunk.shape[0], off = 0, ln = 0
        cdef int rc
        if n == 0:
            return None
        with nogil:
            rc = gf_vocab_tokenize(&self.v, <const char *>&chunk[0], n, unknown, &off, &ln)
        if rc < 0:
            raise MemoryError("out of memory while tokenising")
        if rc == 1:
            return bytes(chunk[off:off + ln])
        return None

    def keep_tail(self, int64_t keep):
        """Keep only the last ``keep`` ids (the window carried into the next chunk)."""
        gf_vocab_keep_tail(&self.v, keep)

    def ids(self):
        """The id stream as an int32 array that views this counter's buffer (no copy): valid until
        the stream next changes (a feed, remap or keep_tail), so use it at once (e.g.
        ``Cooccurrence.count_ids(counter.ids(), start, end)``)."""
        if self.v.tokens.n == 0:
            return np.zeros(0, dtype=np.int32)
        return np.asarray(<int32_t[:self.v.tokens.n]> self.v.tokens.data)


cdef void gf_ibuf_free_tokens(gf_vocab *v) noexcept nogil:
    gf_big_free(v.tokens.data)
    v.tokens.data = NULL
    v.tokens.n = 0
    v.tokens.cap = 0
