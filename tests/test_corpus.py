"""Corpus: exact counts against a brute-force reference, input paths, vocabulary rules, errors."""
import gzip
import io
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glovefast.text.reading as reading_mod
from glovefast import Corpus
from glovefast.errors import (
    CorpusFormatError,
    EmptyCorpusError,
    InvalidDictionaryError,
    InvalidParameterError,
    UnknownWordError,
)


def reference_vocabulary(docs, min_count=1, max_vocab=None):
    counts = Counter(w for d in docs for w in d)
    words = sorted(counts, key=lambda w: (-counts[w], w.encode("utf-8")))
    words = [w for w in words if counts[w] >= min_count][:max_vocab]
    return {w: i for i, w in enumerate(words)}


def reference_counts(docs, dictionary, window, harmonic=True, symmetric=True, drop_unknown=True):
    """Brute force: for every token, look back `window` positions in its document."""
    out = defaultdict(float)
    for doc in docs:
        ids = [dictionary.get(w) for w in doc]
        if drop_unknown:  # min_count semantics: dropped words leave no gap
            ids = [i for i in ids if i is not None]
        for p, b in enumerate(ids):
            if b is None:
                continue
            for d in range(1, window + 1):
                if p - d < 0:
                    break
                a = ids[p - d]
                if a is None:  # ignore_missing: the position still counts
                    continue
                w = 1.0 / d if harmonic else 1.0
                if symmetric:
                    if a == b:
                        out[(a, a)] += 2 * w
                    else:
                        out[(min(a, b), max(a, b))] += w
                else:
                    out[(b, a)] += w
    return out


def as_dict(matrix):
    m = matrix.tocoo()
    return {(int(r), int(c)): float(v) for r, c, v in zip(m.row, m.col, m.data)}


def assert_same_counts(matrix, expected):
    got = as_dict(matrix)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-6), key


docs_strategy = st.lists(st.lists(st.sampled_from(list("abcdefgh")), max_size=30), min_size=1, max_size=12)


@pytest.fixture
def tiny_tables(monkeypatch):
    """Force almost every pair through the overflow path, with many flushes and merges."""
    import glovefast.cooc.counting as counting_mod

    real = counting_mod.plan_counting

    def tiny(*args, **kwargs):
        plan = real(*args, **kwargs)
        return counting_mod.CountingPlan(budget=plan.budget, dense_bytes=64, buffer_entries=7,
                                         run_bytes=plan.run_bytes, chunk_tokens=plan.chunk_tokens,
                                         stream_bytes=plan.stream_bytes, merge_entries=plan.merge_entries)

    monkeypatch.setattr(counting_mod, "plan_counting", tiny)


@settings(max_examples=60, deadline=None)
@given(docs=docs_strategy, window=st.integers(1, 40), harmonic=st.booleans(), symmetric=st.booleans(),
       min_count=st.integers(1, 4), threads=st.integers(1, 3))
def test_counts_match_brute_force(docs, window, harmonic, symmetric, min_count, threads):
    dictionary = reference_vocabulary(docs, min_count)
    if not dictionary:
        return
    c = Corpus().fit(docs, window=window, min_count=min_count, no_threads=threads,
                     distance_weighting="harmonic" if harmonic else "flat", symmetric=symmetric)
    assert c.dictionary == dictionary
    assert_same_counts(c.matrix, reference_counts(docs, dictionary, window, harmonic, symmetric))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=docs_strategy, window=st.integers(1, 12), threads=st.integers(1, 3))
def test_overflow_path_matches_brute_force(tiny_tables, docs, window, threads):
    dictionary = reference_vocabulary(docs)
    if not dictionary:
        return
    c = Corpus().fit(docs, window=window, no_threads=threads)
    assert_same_counts(c.matrix, reference_counts(docs, dictionary, window))


def test_known_small_example():
    c = Corpus().fit([["a", "b", "c", "a"], ["b", "c"]], window=2)
    assert c.dictionary == {"a": 0, "b": 1, "c": 2}  # all count 2: ties broken by word
    np.testing.assert_allclose(c.matrix.toarray(), [[0, 1.5, 1.5], [0, 0, 2.0], [0, 0, 0]])
    np.testing.assert_array_equal(c.word_counts, [2, 2, 2])


def test_diagonal_counts_both_sides_and_window_wider_than_document():
    c = Corpus().fit([["x", "x", "y"]], window=50)
    # x-x at distance 1 counts for each x as context of the other: 2 * 1
    assert as_dict(c.matrix) == {(0, 0): 2.0, (0, 1): 1.0 + 0.5}


def test_matrix_is_sorted_upper_triangle_without_duplicates():
    rng = np.random.default_rng(0)
    docs = [list(rng.choice(list("abcdefghijklmnop"), size=rng.integers(1, 40))) for _ in range(200)]
    m = Corpus().fit(docs, window=7).matrix
    assert (m.row <= m.col).all()
    keys = m.row.astype(np.int64) * m.shape[0] + m.col
    assert (np.diff(keys) > 0).all()
    assert m.has_canonical_format


def test_vocabulary_ordered_by_frequency_then_word():
    docs = [["b", "a", "c", "c", "d", "d", "e"]]
    c = Corpus().fit(docs, window=1)
    assert list(c.dictionary) == ["c", "d", "a", "b", "e"]
    np.testing.assert_array_equal(c.word_counts, [2, 2, 1, 1, 1])


_WORD_BYTES = st.lists(st.sampled_from([b"a", b"b", b"\0", b"\xff", b"ab", b"samepref"]), max_size=6).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_WORD_BYTES | st.binary(max_size=20), st.sampled_from([0, 1, 2, 3, 2**40, 2**62])),
                max_size=60, unique_by=lambda wc: wc[0]))
def test_vocabulary_order_matches_python_sort(pairs):
    # the C order (radix on count and the first 8 bytes, then the bytes) is Python's
    # (-count, bytes) order, NULs, shared prefixes and prefixes of other words included
    from glovefast._kernels.vocab import order_words

    words = [w for w, _ in pairs]
    counts = [c for _, c in pairs]
    got = order_words(words, np.array(counts, dtype=np.int64)).tolist()
    assert got == sorted(range(len(words)), key=lambda i: (-counts[i], words[i]))


def test_vocabulary_order_of_many_words_sharing_a_prefix():
    # one run of equal count and first 8 bytes holding every word: sorted in n log n, correctly
    from glovefast._kernels.vocab import order_words

    words = [b"samepref%d" % i for i in np.random.default_rng(0).permutation(50_000)]
    got = order_words(words, np.ones(len(words), dtype=np.int64))
    assert [words[i] for i in got] == sorted(words)


def test_text_vocabulary_selection_keeps_order_rules(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("zeta b b a a c c c d\né é zeta\n", encoding="utf-8")
    c = Corpus().fit(str(path), window=2, min_count=2)
    assert list(c.dictionary) == ["c", "a", "b", "zeta", "é"]
    np.testing.assert_array_equal(c.word_counts, [3, 2, 2, 2, 2])
    assert list(Corpus().fit(str(path), window=2, min_count=2, max_vocab=2).dictionary) == ["c", "a"]


def test_min_count_and_max_vocab():
    docs = [["a"] * 5 + ["b"] * 3 + ["c"] * 2 + ["d"]]
    assert list(Corpus().fit(docs, min_count=2).dictionary) == ["a", "b", "c"]
    assert list(Corpus().fit(docs, min_count=2, max_vocab=2).dictionary) == ["a", "b"]


def test_min_count_drops_words_before_windowing():
    # "rare" is dropped, so "a" and "b" become neighbours at distance 1 (Stanford's semantics)
    docs = [["a", "rare", "b"], ["a", "b"]]
    c = Corpus().fit(docs, window=1, min_count=2)
    assert as_dict(c.matrix) == {(0, 1): 2.0}


def test_text_files_match_token_lists(tmp_path):
    rng = np.random.default_rng(1)
    vocab = ["naïve", "日本", "the", "cat", "sat", "on", "mat", "x"]
    docs = [list(rng.choice(vocab, size=rng.integers(0, 30))) for _ in range(300)]
    text = "\n".join(" ".join(d) for d in docs) + "\n"
    plain = tmp_path / "a.txt"
    plain.write_text(text, encoding="utf-8")
    gz = tmp_path / "b.txt.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(text)
    ref = Corpus().fit(docs, window=5)
    # plain files are memory-mapped, gzip and streams go through the reader thread
    for source in (str(plain), gz, [str(plain)], io.BytesIO(text.encode("utf-8"))):
        c = Corpus().fit(source, window=5)
        assert c.dictionary == ref.dictionary
        np.testing.assert_array_equal(c.word_counts, ref.word_counts)
        np.testing.assert_allclose(c.matrix.toarray(), ref.matrix.toarray(), rtol=1e-12)


def test_text_chunk_boundaries_and_whitespace(tmp_path, monkeypatch):
    monkeypatch.setattr(reading_mod, "CHUNK_BYTES", 5)  # chunks cut inside tokens
    path = tmp_path / "t.txt"
    path.write_bytes(b"alpha  beta\tgamma\r\n\n\nalpha beta\x0bgamma delta-longer-token\nalpha")
    c = Corpus().fit(str(path), window=2)
    docs = [["alpha", "beta", "gamma"], ["alpha", "beta", "gamma", "delta-longer-token"], ["alpha"]]
    ref = Corpus().fit(docs, window=2)
    assert c.dictionary == ref.dictionary
    np.testing.assert_allclose(c.matrix.toarray(), ref.matrix.toarray())


def test_files_are_separate_documents(tmp_path):
    (tmp_path / "1.txt").write_text("a b")
    (tmp_path / "2.txt").write_text("c d")  # no trailing newline in either file
    c = Corpus().fit([str(tmp_path / "1.txt"), str(tmp_path / "2.txt")], window=5)
    assert set(as_dict(c.matrix)) == {(c.dictionary["a"], c.dictionary["b"]), (c.dictionary["c"], c.dictionary["d"])}


def test_fixed_dictionary_ignore_missing_keeps_positions():
    dictionary = {"a": 1, "b": 0}
    docs = [["a", "zzz", "b"]]
    c = Corpus(dictionary).fit(docs, window=2, ignore_missing=True)
    assert c.dictionary == dictionary
    # a and b are two positions apart: weight 1/2; the unknown word occupies its position
    assert as_dict(c.matrix) == {(0, 1): 0.5}
    np.testing.assert_array_equal(c.word_counts, [1, 1])
    assert_same_counts(c.matrix, reference_counts(docs, dictionary, 2, drop_unknown=False))


def test_fixed_dictionary_with_text_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("a zzz b\n")
    c = Corpus({"a": 0, "b": 1}).fit(str(path), window=2, ignore_missing=True)
    assert as_dict(c.matrix) == {(0, 1): 0.5}
    with pytest.raises(UnknownWordError, match="zzz"):
        Corpus({"a": 0, "b": 1}).fit(str(path), window=2)


def test_fixed_dictionary_unknown_word_raises_naming_it():
    with pytest.raises(UnknownWordError, match="'zzz'") as info:
        Corpus({"a": 0}).fit([["a", "zzz"]], window=2)
    assert info.value.word == "zzz"
    assert isinstance(info.value, KeyError)


@pytest.mark.parametrize("bad", [{"a": 1}, {"a": 0, "b": 0}, {"a": -1}, {"a": "0"}, ["a"]])
def test_dictionary_ids_must_be_0_to_n_minus_1(bad):
    with pytest.raises(InvalidDictionaryError):
        Corpus(bad)


@pytest.mark.parametrize("kwargs", [{"window": 0}, {"window": -3}, {"window": 2.5}, {"no_threads": -1},
                                    {"min_count": 0}, {"max_vocab": 0}, {"distance_weighting": "linear"},
                                    {"symmetric": "yes"}])
def test_invalid_parameters(kwargs):
    with pytest.raises(InvalidParameterError):
        Corpus().fit([["a", "b"]], **kwargs)


def test_min_count_with_fixed_dictionary_is_refused():
    with pytest.raises(InvalidParameterError, match="fixed dictionary"):
        Corpus({"a": 0}).fit([["a"]], min_count=2)


@pytest.mark.parametrize("docs", [[], [[]], [[], []]])
def test_empty_corpus(docs):
    with pytest.raises(EmptyCorpusError):
        Corpus().fit(docs)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n \n")
    with pytest.raises(EmptyCorpusError):
        Corpus().fit(str(path))


def test_min_count_removing_everything():
    with pytest.raises(EmptyCorpusError, match="min_count"):
        Corpus().fit([["a", "b"]], min_count=5)


def test_strings_instead_of_token_lists():
    with pytest.raises(CorpusFormatError, match="not a list of tokens"):
        Corpus().fit(iter(["the cat sat", "on the mat"]))
    with pytest.raises(CorpusFormatError, match="not an existing file"):
        Corpus().fit(["the cat sat", "on the mat"])


def test_missing_file():
    with pytest.raises((FileNotFoundError, CorpusFormatError)):
        Corpus().fit("/nonexistent/corpus.txt")


def test_invalid_utf8(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok \xff\xfe bad\n")
    with pytest.raises(CorpusFormatError, match="UTF-8"):
        Corpus().fit(str(path))


def test_generator_is_consumed_as_stream():
    def gen():
        for _ in range(1000):
            yield ["a", "b", "c"]
    c = Corpus().fit(gen(), window=2)
    assert as_dict(c.matrix)[(0, 1)] == pytest.approx(1000.0)


@pytest.mark.parametrize("drop", [False, True])
def test_two_thread_tokenizing_equals_one(drop):
    # a chunk cut after the first whitespace past its middle, the halves tokenized at once into
    # two tables, the second folded into the first: the same words, counts and id stream
    # (separators included) as one thread, whatever the chunking and the blank lines
    from glovefast._kernels.vocab import TokenCounter

    rng = np.random.default_rng(7)
    for trial in range(150):
        vocab = [f"w{i}".encode() for i in range(int(rng.choice([3, 50, 2000])))]
        spaces = [b" ", b"\n", b"\n\n", b"\t", b"  \n ", b"\r\n"]
        parts = []
        for _ in range(int(rng.integers(0, 2000))):
            parts.append(vocab[rng.integers(len(vocab))] if rng.random() < 0.8 else spaces[rng.integers(len(spaces))])
            parts.append(spaces[rng.integers(3)])
        text = (b"\n\n  " if trial % 3 == 0 else b"") + b"".join(parts) + b"\n"
        one, two = TokenCounter(), TokenCounter(threads=2, split_bytes=2)
        if drop:
            one.count_only()
            two.count_only()
        start = 0
        while start < len(text):
            end = min(len(text), start + int(rng.integers(1, 3000)))
            while text[end - 1:end] not in (b" ", b"\n", b"\t", b"\r"):
                end += 1
            for counter in (one, two):
                counter.feed_text(text[start:end])
                if trial % 5 == 0:
                    counter.end_document()
            start = end
        assert dict(zip(one.words(), one.counts().tolist())) == dict(zip(two.words(), two.counts().tolist()))
        if not drop:
            w1, w2 = one.words(), two.words()
            assert [w1[i] if i >= 0 else i for i in one.tokens()] == [w2[i] if i >= 0 else i for i in two.tokens()]


@pytest.mark.parametrize("text", [
    b"a bb ccc\ndd\n\n e",             # ends inside a token
    b"\xef\xbb\xbfwith a bom\n",       # a UTF-8 byte-order mark is skipped
    b"averyveryverylongtoken x y\n",   # a token longer than a chunk
    b"   \n\n  ",                      # only whitespace
    b"x",
])
@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
def test_mapped_file_chunks_equal_stream_chunks(tmp_path, text, chunk):
    # plain files are read through a memory map; the chunks carry the same text as the stream
    # reader's, each ending on whitespace
    path = tmp_path / "c.txt"
    path.write_bytes(text)
    mapped = [bytes(c) for c in reading_mod.mapped_chunks(str(path), chunk)]
    # (the stream reader looks for a byte-order mark in its first block: give it 4 bytes or more)
    streamed = [bytes(c) for c in reading_mod.chunks(io.BytesIO(text), max(chunk, 4), "c.txt")]
    assert b"".join(mapped) == b"".join(streamed)
    assert all(c[-1:].isspace() for c in mapped)
