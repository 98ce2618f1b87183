"""Corpus.fit(keep_tokens=True): the TokenStream is the same on every reading path, matches the
counts and the matrix, splits into shares, saves with the corpus, and changes no count."""
import gzip
import os

import numpy as np
import pytest

from glovefast import Corpus
from glovefast.datasets import builtin_path
from glovefast.errors import InvalidParameterError
from glovefast.text.tokens import SEP, SKIP, TokenStream

from test_digests import corpus_digest, synthetic_lines


@pytest.fixture(scope="module")
def kjv():
    return builtin_path("kjv")


@pytest.fixture(scope="module")
def kjv_docs(kjv):
    with gzip.open(kjv, "rt", encoding="utf-8") as fh:
        return [line.split() for line in fh]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("tokens") / "synthetic.txt"
    path.write_text("\n".join(synthetic_lines()) + "\n")
    return str(path)


def _expected(docs, dictionary, skip_unknown):
    """The stream built in Python: each document's known ids (SKIP for unknown ones when kept), then SEP."""
    out = []
    for doc in docs:
        ids = [dictionary.get(w, SKIP) for w in doc]
        ids = [i for i in ids if i != SKIP or skip_unknown]
        if ids:
            out += ids + [SEP]
    return np.array(out, dtype=np.int32)


def test_stream_is_the_corpus_as_final_ids(kjv, kjv_docs):
    plain = Corpus().fit(kjv, window=10, min_count=2, no_threads=1)
    kept = Corpus().fit(kjv, window=10, min_count=2, no_threads=1, keep_tokens=True)
    assert corpus_digest(kept) == corpus_digest(plain)  # keeping the stream changes no count
    assert plain.tokens is None
    t = kept.tokens
    np.testing.assert_array_equal(t.ids, _expected(kjv_docs, kept.dictionary, False))
    np.testing.assert_array_equal(np.bincount(t.ids[t.ids >= 0], minlength=t.n_words), kept.word_counts)
    assert t.n_tokens == kept.n_tokens and t.words == kept.inverse_dictionary
    assert t.ids[0] != SEP and t.ids[-1] == SEP and not (SKIP == t.ids).any()
    assert t.n_documents == len(kjv_docs) == len(list(t.documents())) == len(list(t))
    assert [list(d) for d in t][:2] == [[kept.dictionary[w] for w in doc if w in kept.dictionary]
                                        for doc in kjv_docs[:2]]


def test_every_reading_path_gives_the_same_stream(kjv, kjv_docs, tmp_path):
    ref = Corpus().fit(kjv, window=10, min_count=2, no_threads=1, keep_tokens=True).tokens.ids
    token_lists = Corpus().fit(kjv_docs, window=10, min_count=2, no_threads=2, keep_tokens=True)
    np.testing.assert_array_equal(token_lists.tokens.ids, ref)
    with gzip.open(kjv, "rb") as raw:  # a binary stream: read once
        stream = Corpus().fit(raw, window=10, min_count=2, keep_tokens=True)
    np.testing.assert_array_equal(stream.tokens.ids, ref)


def test_fixed_dictionary_keeps_unknown_positions_as_skip(kjv, kjv_docs):
    words = Corpus().fit(kjv, window=10, min_count=2, no_threads=1).inverse_dictionary
    fixed = {w: i for i, w in enumerate(words[::2])}
    text = Corpus(fixed).fit(kjv, window=10, ignore_missing=True, keep_tokens=True)
    lists = Corpus(fixed).fit(kjv_docs, window=10, ignore_missing=True, keep_tokens=True)
    want = _expected(kjv_docs, fixed, True)
    np.testing.assert_array_equal(text.tokens.ids, want)
    np.testing.assert_array_equal(lists.tokens.ids, want)
    assert (want == SKIP).any()
    # word2vec's view: unknown words dropped, not kept positions
    dropped = text.tokens.without_skips()
    np.testing.assert_array_equal(dropped.ids, _expected(kjv_docs, fixed, False))
    assert dropped.n_tokens == text.tokens.n_tokens


def test_budget_rereads_and_maps_the_stream_from_disk(synthetic, tmp_path):
    ref = Corpus().fit(synthetic, window=5, no_threads=1, keep_tokens=True)
    assert not isinstance(ref.tokens.ids, np.memmap)
    spill = tmp_path / "spill"
    spill.mkdir()
    # 16 MB: the first pass's stream outgrows its share, the file is read again, the kept ids
    # (5.6 MB) go to an unlinked file that the stream maps; a binary stream spills its ids instead
    small = Corpus().fit(synthetic, window=5, no_threads=1, memory="16M", tmp_dir=spill, keep_tokens=True)
    assert isinstance(small.tokens.ids, np.memmap)
    np.testing.assert_array_equal(small.tokens.ids, ref.tokens.ids)
    with open(synthetic, "rb") as raw:
        streamed = Corpus().fit(raw, window=5, no_threads=1, memory="16M", tmp_dir=spill, keep_tokens=True)
    np.testing.assert_array_equal(streamed.tokens.ids, ref.tokens.ids)
    assert corpus_digest(small) == corpus_digest(streamed) == corpus_digest(ref)
    # the kept stream's file is unlinked: only the matrices' stores (removed with their Corpus) are there
    assert all(name.startswith("glovefast-matrix-") for name in os.listdir(spill))


def test_shares_cover_the_stream_and_end_at_documents():
    ids = np.array([0, 1, SEP, 2, SEP, 3, 4, 5, SEP, 6, SEP, 7, SEP], dtype=np.int32)
    t = TokenStream(ids, np.ones(8, dtype=np.int64))
    for n in range(1, 8):
        shares = t.shares(n)
        assert len(shares) == n and shares[0][0] == 0 and shares[-1][1] == len(ids)
        assert all(a[1] == b[0] for a, b in zip(shares, shares[1:]))
    assert t.shares(2) == [(0, 9), (9, 13)]  # after the separator following the middle
    assert [list(d) for d in t] == [[0, 1], [2], [3, 4, 5], [6], [7]]
    np.testing.assert_array_equal(t.document_ends(), [3, 5, 9, 11, 13])
    with pytest.raises(InvalidParameterError):
        t.shares(0)
    with pytest.raises(InvalidParameterError):
        TokenStream(ids.astype(np.int64), np.ones(8, dtype=np.int64))


@pytest.mark.parametrize("name", ["corpus.npz", "store"])
def test_saved_and_loaded_with_the_corpus(kjv, tmp_path, name):
    corpus = Corpus().fit(kjv, window=10, min_count=2, keep_tokens=True)
    corpus.save(tmp_path / name)
    loaded = Corpus.load(tmp_path / name)
    np.testing.assert_array_equal(loaded.tokens.ids, corpus.tokens.ids)
    np.testing.assert_array_equal(loaded.tokens.counts, corpus.word_counts)
    assert loaded.tokens.words == corpus.inverse_dictionary
    if name == "store":
        assert isinstance(loaded.tokens.ids, np.memmap)
        loaded.save(tmp_path / "copy")  # a store's copy keeps them (hard links)
        np.testing.assert_array_equal(Corpus.load(tmp_path / "copy").tokens.ids, corpus.tokens.ids)
    plain = Corpus().fit(kjv, window=10, min_count=2)
    plain.save(tmp_path / ("plain" + name))
    assert Corpus.load(tmp_path / ("plain" + name)).tokens is None


def test_counted_into_a_store_with_its_stream(kjv, tmp_path):
    corpus = Corpus().fit(kjv, window=10, min_count=2, keep_tokens=True, store=tmp_path / "store")
    np.testing.assert_array_equal(Corpus.load(tmp_path / "store").tokens.ids, corpus.tokens.ids)


def test_bad_keep_tokens():
    with pytest.raises(InvalidParameterError, match="keep_tokens"):
        Corpus().fit([["a", "b"]], keep_tokens="yes")
    with pytest.raises(InvalidParameterError, match="keep_tokens"):
        Corpus().fit(["a.txt"], keep_tokens=True, client=object())
