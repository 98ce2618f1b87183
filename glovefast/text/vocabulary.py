"""Vocabulary: the words of a corpus, their counts, and the rules that select and order them.

The vocabulary is counting's first step (Stanford's ``vocab_count``): one pass over the input
counts every word, then ``min_count`` / ``max_vocab`` select the words that get ids, in a fixed
order: descending count, ties broken by the word's UTF-8 bytes, so the ids do not depend on the
input order, the number of files or how the counting was split between workers. For code that
indexes the matrix by position as glove_python numbered it, ``id_order="first_seen"`` numbers the
kept words by their first appearance instead.

Partial vocabularies (e.g. one per worker or per file) are combined with :meth:`Vocabulary.merge`,
which sums the counts: merging the partial counts of a split corpus gives exactly the vocabulary
of the whole.
"""
import numpy as np

from glovefast._kernels import vocab as vocab_kernel
from glovefast._util.validation import check_choice, check_int, decode_token
from glovefast.errors import CorpusFormatError, EmptyCorpusError, InvalidParameterError
from glovefast.text import reading
from glovefast.text.tokens import IdCounts


#: How ``id_order`` may number the kept words.
ID_ORDERS = ("frequency", "first_seen")


def _key(word):
    """The word as the UTF-8 bytes the tie-break orders by (text input is bytes already)."""
    if isinstance(word, bytes):
        return word
    if isinstance(word, str):
        return word.encode("utf-8", "surrogatepass")
    raise CorpusFormatError(f"tokens must be str (or UTF-8 bytes), got {word!r} ({type(word).__name__})")


class Vocabulary:
    """Word counts and the ``min_count`` / ``max_vocab`` rules that turn them into word ids.

    Parameters
    ----------
    min_count : int
        Keep words seen at least this many times (default 1 keeps all).
    max_vocab : int, optional
        Keep at most this many words, the most frequent (after ``min_count``).
    id_order : {"frequency", "first_seen"}, optional
        How the kept words are numbered: by descending count, ties by the word's UTF-8 bytes
        (default; id ``N`` is then the ``N+1``-th most frequent word), or by their first
        appearance in the input (glove_python's numbering). Which words are kept does not
        depend on it.

    Attributes
    ----------
    words_ : list of str
        The kept words in id order.
    counts_ : numpy.ndarray of int64
        Count of each kept word, in id order.
    dictionary_ : dict
        word -> id of the kept words.
    n_seen_ : int
        Distinct words counted, kept or not.
    n_tokens_ : int
        Tokens counted, kept or not.

    Examples
    --------
    >>> a = Vocabulary.from_counts({"the": 3, "cat": 1})
    >>> b = Vocabulary.from_counts({"cat": 2, "sat": 1})
    >>> merged = a.merge(b)
    >>> merged.words_, merged.counts_.tolist()
    (['cat', 'the', 'sat'], [3, 3, 1])
    >>> Vocabulary(min_count=2).fit([["a", "b", "a"]]).dictionary_
    {'a': 0}
    """

    def __init__(self, min_count=1, max_vocab=None, id_order="frequency"):
        self.min_count = check_int("min_count", min_count, minimum=1)
        self.max_vocab = None if max_vocab is None else check_int("max_vocab", max_vocab, minimum=1)
        self.id_order = check_choice("id_order", id_order, ID_ORDERS)
        self._keys = []          # every word seen, as given: bytes (text input) or str (token lists)
        self._counts = np.zeros(0, dtype=np.int64)
        self._selected = None    # (words_, counts_, kept indices into _keys)
        self._from_reader = False  # _keys are the C reader's words: bytes, none holding NUL

    # ------------------------------------------------------------------------------ building
    @classmethod
    def from_counts(cls, counts, min_count=1, max_vocab=None, id_order="frequency"):
        """A vocabulary from word counts.

        Parameters
        ----------
        counts : mapping word -> int, or a pair (words, counts)
            Words as str, or as UTF-8 bytes (as the C reader sees text); each word once, in the
            order of their first appearance (what ``id_order="first_seen"`` numbers by).
        min_count, max_vocab, id_order
            As in the constructor.
        """
        vocab = cls(min_count, max_vocab, id_order)
        if hasattr(counts, "items"):
            words, values = list(counts.keys()), list(counts.values())
        else:
            words, values = counts
            words = list(words)
        values = np.asarray(values, dtype=np.int64).reshape(-1)
        if len(words) != len(values):
            raise InvalidParameterError(f"{len(words)} words but {len(values)} counts")
        if values.size and values.min() < 0:
            raise InvalidParameterError("word counts must be >= 0")
        if not (all(type(w) is bytes for w in words) or all(type(w) is str for w in words)):
            for w in words:
                _key(w)  # type check, naming the first bad word
        if len(set(words)) != len(words):
            raise InvalidParameterError("each word must appear once in the counts (merge() sums repeated counts)")
        vocab._keys = words
        vocab._counts = values
        return vocab

    @classmethod
    def from_counter(cls, counter, min_count=1, max_vocab=None, id_order="frequency"):
        """A vocabulary from the C reader's table (a ``TokenCounter``), selected and ordered
        there: on a large vocabulary Python's per-word work would cost more than counting a
        small corpus. (The reader's words are in first-seen order.)"""
        vocab = cls(min_count, max_vocab, id_order)
        vocab._keys = counter.words()
        vocab._counts = counter.counts()
        vocab._from_reader = True
        if vocab.id_order == "first_seen":
            return vocab  # ordered in _select
        words, counts, keep = counter.select(vocab.min_count, vocab.max_vocab)
        if not words:
            raise vocab._nothing_kept()
        vocab._selected = (words, counts, keep)
        return vocab

    def fit(self, corpus, verbose=False):
        """Count the words of ``corpus`` (paths, a binary stream or an iterable of token lists,
        as :meth:`Corpus.fit <glovefast.Corpus.fit>` accepts). Only word counts are kept, never
        the token stream, so memory is proportional to the number of distinct words.

        Returns
        -------
        self
        """
        counter = vocab_kernel.TokenCounter()
        counter.count_only()
        paths = reading.as_paths(corpus)
        if paths is not None or hasattr(corpus, "read"):
            reading.read_text(counter, paths if paths is not None else [corpus], verbose)
            words, counts = counter.words(), counter.counts()
            self._from_reader = True
        else:
            words, counts = _count_token_lists(corpus)
            self._from_reader = False
        self._keys = words
        self._counts = np.asarray(counts, dtype=np.int64)
        self._selected = None
        return self

    def merge(self, *others):
        """A new vocabulary whose counts are the sums of this one's and ``others``' (with this
        one's rules). Merging the vocabularies of the parts of a corpus gives the vocabulary of
        the whole, whatever the split."""
        totals = {}
        for vocab in (self, *others):
            if not isinstance(vocab, Vocabulary):
                raise InvalidParameterError(f"can only merge Vocabulary objects, got {type(vocab).__name__}")
            for word, count in zip(vocab._keys, vocab._counts.tolist()):
                k = _key(word)
                prev = totals.get(k)
                if prev is None:
                    totals[k] = [word, count]
                else:
                    prev[1] += count
        out = Vocabulary(self.min_count, self.max_vocab, getattr(self, "id_order", "frequency"))
        out._keys = [w for w, _ in totals.values()]
        out._counts = np.fromiter((c for _, c in totals.values()), dtype=np.int64, count=len(totals))
        return out

    # ------------------------------------------------------------------------------ selection
    def _select(self):
        if self._selected is not None:
            return self._selected
        counts = self._counts
        # min_count first: only the words that can be kept are ordered. Per-word work stays in C
        # (map, join, one decode): on a large vocabulary Python loops would cost more than counting
        cand = np.flatnonzero(counts >= self.min_count)
        given = list(map(self._keys.__getitem__, cand.tolist()))
        from_reader = getattr(self, "_from_reader", False)  # absent from objects pickled before it
        as_bytes = from_reader or all(type(w) is bytes for w in given)
        keys = given if as_bytes else [_key(w) for w in given]
        pos = _order(keys, counts[cand])
        if self.max_vocab is not None:
            pos = pos[:self.max_vocab]
        if pos.size == 0:
            raise self._nothing_kept()
        if getattr(self, "id_order", "frequency") == "first_seen":  # absent from objects pickled before it
            pos = np.sort(pos)  # _keys are in first-seen order
        words = list(map(given.__getitem__, pos.tolist()))
        if as_bytes:
            words = _decode_all(words)
        keep = cand[pos]
        self._selected = (words, counts[keep], keep)
        return self._selected

    def _nothing_kept(self):
        return EmptyCorpusError(
            f"no word occurs at least min_count={self.min_count} times; lower min_count or use a larger corpus"
            if len(self._keys) else "the corpus contains no tokens; check the input is not empty"
        )

    @property
    def words_(self):
        return list(self._select()[0])

    @property
    def counts_(self):
        return self._select()[1].copy()

    @property
    def dictionary_(self):
        return dict(zip(self._select()[0], range(len(self))))

    @property
    def n_seen_(self):
        return len(self._keys)

    @property
    def n_tokens_(self):
        return int(self._counts.sum())

    def __len__(self):
        return len(self._select()[0])

    def encoded_words(self):
        """The kept words as UTF-8 bytes in id order (what the C counting pass looks up)."""
        return [_key(w) for w in self._select()[0]]

    def remap(self):
        """First-seen id -> final id for the words in the order they were counted: the kept
        words' ids, ``DROP`` for the others (what the counter applies to a first-seen id stream)."""
        keep = self._select()[2]
        out = np.full(len(self._keys), vocab_kernel.DROP, dtype=np.int32)
        out[keep] = np.arange(keep.size, dtype=np.int32)
        return out

    def __repr__(self):
        rules = f"min_count={self.min_count}, max_vocab={self.max_vocab}"
        if getattr(self, "id_order", "frequency") != "frequency":
            rules += f", id_order={self.id_order!r}"
        if not self._keys:
            return f"Vocabulary({rules}, empty)"
        return f"Vocabulary({rules}, {len(self)} of {self.n_seen_} words kept)"


def _order(keys, counts):
    """Positions of ``keys`` (distinct bytes) sorted by descending ``counts``, ties by the bytes."""
    return vocab_kernel.order_words(keys, np.ascontiguousarray(counts, dtype=np.int64))


def _decode_all(words):
    """UTF-8 bytes words as str, in one decode when none holds a newline (text tokens never do).
    Strict UTF-8 decoding is one-to-one, so distinct byte strings stay distinct words."""
    try:
        out = b"\n".join(words).decode("utf-8").split("\n")
        if len(out) == len(words):
            return out
    except UnicodeDecodeError:
        pass
    return [decode_token(w) for w in words]  # names the word that is not UTF-8


def _count_token_lists(corpus):
    """(words, counts) of an iterable of token lists, words in first-seen order."""
    return reading.read_token_lists(IdCounts(), corpus, None, False)


__all__ = ["ID_ORDERS", "Vocabulary"]
