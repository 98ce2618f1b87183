"""WordVectors: construction, validation, gensim-style queries, caching, PyTorch export."""
import math

import numpy as np
import pytest

from glovefast.errors import (
    InvalidDictionaryError,
    InvalidMatrixError,
    InvalidParameterError,
    UnknownWordError,
)
from glovefast.vectors.word_vectors import WordVectors

SQ2 = 1 / math.sqrt(2)


@pytest.fixture
def small():
    # Hand-made 2-D vectors whose cosines are known exactly.
    words = ["east", "north", "northeast", "west", "naïve", "日本"]
    vecs = np.array(
        [[1, 0], [0, 1], [1, 1], [-1, 0], [0, 2], [1, -2]], dtype=np.float32
    )
    return WordVectors(words, vecs)


def random_wv(n=300, d=16, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n)]
    return WordVectors(words, rng.standard_normal((n, d)).astype(dtype))


# ---------------------------------------------------------------- construction and access
def test_basic_access(small):
    assert len(small) == 6
    assert small.vector_size == 2
    assert "naïve" in small and "日本" in small
    assert "missing" not in small and ["east"] not in small
    assert small.key_to_index["日本"] == 5
    assert small.index_to_key[2] == "northeast"
    assert list(small) == small.index_to_key
    np.testing.assert_array_equal(small["north"], [0, 1])
    np.testing.assert_array_equal(small[["west", "日本"]], [[-1, 0], [1, -2]])
    assert small[["west", "east"]].shape == (2, 2)
    np.testing.assert_allclose(small.get_vector("northeast", norm=True), [SQ2, SQ2], rtol=1e-6)
    np.testing.assert_array_equal(small.get_vector("northeast"), [1, 1])
    np.testing.assert_allclose(small.norms, [1, 1, math.sqrt(2), 1, 2, math.sqrt(5)], rtol=1e-6)
    assert small.get_index("naïve") == 4
    assert "6 words" in repr(small) and "vector_size=2" in repr(small)


def test_vectors_kept_without_copy_and_ints_converted():
    arr = np.ones((2, 3), dtype=np.float64)
    wv = WordVectors(["a", "b"], arr)
    assert wv.vectors is arr
    wv_int = WordVectors(["a", "b"], [[1, 2], [3, 4]])
    assert wv_int.vectors.dtype == np.float32
    np.testing.assert_array_equal(wv_int["b"], [3, 4])


@pytest.mark.parametrize(
    "keys, vectors, error, fragment",
    [
        (["a", "b", "a"], np.ones((3, 2)), InvalidDictionaryError, "duplicate key 'a' at indices 0 and 2"),
        (["a", 7], np.ones((2, 2)), InvalidDictionaryError, "index 1"),
        (["a", ""], np.ones((2, 2)), InvalidDictionaryError, "empty string"),
        ("ab", np.ones((2, 2)), InvalidDictionaryError, "single string"),
        (["a", "b"], np.ones((3, 2)), InvalidMatrixError, "3 rows but index_to_key has 2"),
        (["a", "b"], np.ones(2), InvalidMatrixError, "2-D"),
        (["a", "b"], np.ones((2, 0)), InvalidMatrixError, "at least one column"),
        (["a", "b"], np.array([["x", "y"], ["z", "w"]]), InvalidMatrixError, "real numbers"),
        (["ok", "bad"], np.array([[1.0, 2.0], [np.nan, 0.0]]), InvalidMatrixError, "'bad' (index 1)"),
        (["ok", "inf"], np.array([[1.0, 2.0], [np.inf, 0.0]]), InvalidMatrixError, "NaN or inf"),
    ],
)
def test_construction_errors_name_the_problem(keys, vectors, error, fragment):
    with pytest.raises(error) as info:
        WordVectors(keys, vectors)
    assert fragment in str(info.value)


def test_counts_validation():
    wv = WordVectors(["a", "b"], np.ones((2, 2)), counts=[5, 3])
    assert wv.counts.dtype == np.int64 and wv.counts.tolist() == [5, 3]
    with pytest.raises(InvalidParameterError, match=r"shape \(2,\)"):
        WordVectors(["a", "b"], np.ones((2, 2)), counts=[1])
    with pytest.raises(InvalidParameterError, match="non-negative"):
        WordVectors(["a", "b"], np.ones((2, 2)), counts=[1, -1])
    with pytest.raises(InvalidParameterError, match="integers"):
        WordVectors(["a", "b"], np.ones((2, 2)), counts=[1.5, 2])


def test_from_dictionary_orders_rows_by_id():
    wv = WordVectors.from_dictionary({"b": 1, "a": 0, "c": 2}, np.arange(6.0).reshape(3, 2))
    assert wv.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(wv["c"], [4, 5])
    with pytest.raises(InvalidDictionaryError):
        WordVectors.from_dictionary({"a": 0, "b": 2}, np.ones((2, 2)))


# ---------------------------------------------------------------- unknown words
@pytest.mark.parametrize("word", ["missing", "naïf", "日本語", "a b"])
def test_unknown_word_is_keyerror_naming_the_word(small, word):
    for call in (
        lambda: small[word],
        lambda: small[["east", word]],
        lambda: small.get_vector(word),
        lambda: small.similarity("east", word),
        lambda: small.most_similar(word),
        lambda: small.most_similar(positive=["east"], negative=[word]),
        lambda: small.most_similar_cosmul([word]),
        lambda: small.doesnt_match(["east", word, "west"]),
        lambda: small.distances(word),
        lambda: small.distances("east", [word]),
        lambda: small.most_similar_batch(["east", word]),
    ):
        with pytest.raises(KeyError) as info:
            call()
        assert isinstance(info.value, UnknownWordError)
        assert info.value.word == word
        assert repr(word) in str(info.value)


def test_bad_index_types(small):
    with pytest.raises(InvalidParameterError):
        small[3]
    with pytest.raises(InvalidParameterError):
        small.get_index(["east"])
    with pytest.raises(InvalidParameterError, match="no input"):
        small.most_similar()
    with pytest.raises(InvalidParameterError, match="vector of length 2"):
        small.most_similar(positive=[np.ones(3)])
    with pytest.raises(InvalidParameterError, match="restrict_vocab"):
        small.most_similar("east", restrict_vocab=0)
    with pytest.raises(InvalidParameterError, match="topn"):
        small.most_similar("east", topn="3")


# ---------------------------------------------------------------- similarity queries
def test_similarity_and_distance_values(small):
    assert small.similarity("east", "northeast") == pytest.approx(SQ2, rel=1e-6)
    assert small.similarity("east", "west") == pytest.approx(-1.0)
    assert small.similarity("north", "naïve") == pytest.approx(1.0)
    assert small.similarity("northeast", "日本") == pytest.approx(-1 / math.sqrt(10), rel=1e-6)
    assert small.distance("east", "west") == pytest.approx(2.0)
    np.testing.assert_allclose(small.distances("east", ["north", "west", "northeast"]), [1, 2, 1 - SQ2], rtol=1e-6)
    all_d = small.distances(np.array([0.0, 5.0]))
    np.testing.assert_allclose(all_d, [1, 0, 1 - SQ2, 1, 0, 1 + 2 / math.sqrt(5)], rtol=1e-6, atol=1e-7)


def test_most_similar_values_and_exclusion(small):
    res = small.most_similar("east", topn=3)
    assert [w for w, _ in res] == ["northeast", "日本", "north"]
    np.testing.assert_allclose([s for _, s in res], [SQ2, 1 / math.sqrt(5), 0.0], atol=1e-6)
    assert "east" not in [w for w, _ in small.most_similar("east", topn=10)]
    assert len(small.most_similar("east", topn=10)) == 5  # everything but the query
    assert small.most_similar("east", topn=0) == []
    # north + east - west: mean of unit vectors (0,1)+(1,0)-(-1,0) = (2,1)/3 -> direction (2,1)
    res = small.most_similar(positive=["north", "east"], negative=["west"], topn=1)
    assert res[0][0] == "northeast"
    assert res[0][1] == pytest.approx((2 + 1) / math.sqrt(5) / math.sqrt(2), rel=1e-6)
    # restrict_vocab limits the candidates to the first ids
    assert [w for w, _ in small.most_similar("east", topn=5, restrict_vocab=2)] == ["north"]


def test_most_similar_full_array_weights_and_vectors(small):
    scores = small.most_similar("north", topn=None)
    np.testing.assert_allclose(scores, [0, 1, SQ2, 0, 1, -2 / math.sqrt(5)], atol=1e-6)
    assert small.most_similar("north", topn=None, restrict_vocab=3).shape == (3,)
    # weight tuples: ("east", 1) + ("north", 3) points closest to the naïve/north direction
    res = small.most_similar(positive=[("east", 1.0), ("north", 3.0)], topn=1)
    assert res[0][0] == "naïve"
    # explicit vectors are not excluded from results
    res = small.similar_by_vector([1.0, 0.0], topn=2)
    assert res[0] == ("east", pytest.approx(1.0))


def test_most_similar_batch_matches_single_queries():
    wv = random_wv(n=400, d=12, seed=1)
    words = ["w0", "w5", "w399", "w123"]
    batch = wv.most_similar_batch(words, topn=7)
    for w, got in zip(words, batch):
        want = wv.most_similar(w, topn=7)
        assert [x for x, _ in got] == [x for x, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5)
    restricted = wv.most_similar_batch(words, topn=5, restrict_vocab=50)
    for w, got in zip(words, restricted):
        assert [x for x, _ in got] == [x for x, _ in wv.most_similar(w, topn=5, restrict_vocab=50)]
    vecs = wv[words]
    by_vec = wv.most_similar_batch(vecs, topn=3)
    for w, got in zip(words, by_vec):
        assert got[0][0] == w and got[0][1] == pytest.approx(1.0, abs=1e-6)  # a vector finds its own word


def test_batch_blocks_cover_all_queries(monkeypatch):
    import glovefast.vectors.word_vectors as vmod

    monkeypatch.setattr(vmod, "SCORE_BLOCK_BYTES", 1)  # force one query per block
    wv = random_wv(n=50, d=4, seed=3)
    res = wv.most_similar_batch([f"w{i}" for i in range(10)], topn=2)
    assert len(res) == 10
    assert all(r[0][0] == wv.most_similar(f"w{i}", topn=1)[0][0] for i, r in enumerate(res))


def test_most_similar_cosmul_formula(small):
    scores = small.most_similar_cosmul(positive=["north"], negative=["west"], topn=None)
    unit = small.get_normed_vectors()
    pos = (1 + unit @ unit[1]) / 2
    neg = (1 + unit @ unit[3]) / 2
    np.testing.assert_allclose(scores, pos / (neg + 1e-6), rtol=1e-5)
    top = small.most_similar_cosmul(positive=["north"], negative=["west"], topn=1)
    # east is exactly opposite west: its denominator is 1e-6, so it dominates
    assert top[0][0] == "east" and top[0][1] == pytest.approx(0.5 / 1e-6, rel=1e-3)
    with pytest.raises(InvalidParameterError, match="positive"):
        small.most_similar_cosmul(negative=["west"])
    assert small.most_similar_cosmul("north", topn=0) == []
    assert len(small.most_similar_cosmul("north", topn=10, restrict_vocab=3)) == 2


def test_doesnt_match(small):
    assert small.doesnt_match(["north", "naïve", "northeast", "west"]) == "west"
    assert small.doesnt_match(["east", "northeast", "naïve", "north", "日本"]) == "日本"
    with pytest.raises(InvalidParameterError):
        small.doesnt_match([])
    with pytest.raises(InvalidParameterError):
        small.doesnt_match("north")


def test_zero_vector_has_zero_similarity():
    wv = WordVectors(["a", "zero"], np.array([[1.0, 0.0], [0.0, 0.0]]))
    assert wv.similarity("a", "zero") == 0.0
    np.testing.assert_array_equal(wv.get_vector("zero", norm=True), [0, 0])


def test_cache_invalidated_when_vectors_replaced(small):
    assert small.most_similar("east", topn=1)[0][0] == "northeast"
    small.vectors = np.array([[1, 0], [0, 1], [-1, 1], [0.9, 0.1], [0, 2], [1, -2]], dtype=np.float32)
    assert small.most_similar("east", topn=1)[0][0] == "west"
    with pytest.raises(InvalidMatrixError, match="rows"):
        small.vectors = np.ones((2, 2))
    with pytest.raises(InvalidMatrixError, match="NaN"):
        small.vectors = np.full((6, 2), np.nan)
    # in-place edits need fill_norms(force=True)
    small.vectors[3] = [-1, 0]
    small.fill_norms(force=True)
    assert small.most_similar("east", topn=1)[0][0] == "日本"


# ---------------------------------------------------------------- gensim parity
def _gensim_kv(wv):
    gensim_models = pytest.importorskip("gensim.models")
    kv = gensim_models.KeyedVectors(wv.vector_size)
    kv.add_vectors(wv.index_to_key, wv.vectors)
    return kv


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_queries_match_gensim():
    wv = random_wv(n=500, d=20, seed=7)
    kv = _gensim_kv(wv)
    cases = [
        dict(positive=["w1"]),
        dict(positive=["w1", "w2"], negative=["w3"]),
        dict(positive=["w10"], restrict_vocab=100),
        dict(positive=[("w4", 2.0), "w5"], negative=[("w6", -0.5)]),
    ]
    for kw in cases:
        ours = wv.most_similar(topn=10, **kw)
        theirs = kv.most_similar(topn=10, **kw)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5, atol=1e-6)
    ours = wv.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"], topn=10)
    theirs = kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"], topn=10)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)
    assert wv.similarity("w1", "w2") == pytest.approx(float(kv.similarity("w1", "w2")), rel=1e-5)
    np.testing.assert_allclose(wv.distances("w1", ["w2", "w3"]), kv.distances("w1", ["w2", "w3"]), rtol=1e-5)
    np.testing.assert_allclose(wv.distances("w1"), kv.distances("w1"), rtol=1e-4, atol=1e-6)
    group = ["w1", "w2", "w3", "w4", "w5"]
    assert wv.doesnt_match(group) == kv.doesnt_match(group)


# ---------------------------------------------------------------- embedding_matrix (PyTorch hand-off)
@pytest.fixture
def emb():
    words = ["the", "cat", "<unk>", "日本", "<pad>"]
    vecs = np.array([[1, 2], [3, 4], [9, 9], [5, -6], [7, 7]], dtype=np.float64)
    return WordVectors(words, vecs)


def test_embedding_matrix_list_vocab_zeros(emb):
    m, missing = emb.embedding_matrix(["cat", "dog", "日本", "naïve"], return_missing=True)
    assert m.dtype == np.float32 and m.shape == (4, 2)
    np.testing.assert_array_equal(m, [[3, 4], [0, 0], [5, -6], [0, 0]])
    assert missing == ["dog", "naïve"]


def test_embedding_matrix_policies(emb):
    vocab = {"<pad>": 0, "the": 1, "dog": 2, "bird": 3}
    mean = emb.vectors.mean(axis=0)
    m = emb.embedding_matrix(vocab, oov="mean", pad="<pad>")
    np.testing.assert_allclose(m, [[0, 0], [1, 2], mean, mean], rtol=1e-6)  # pad zeroed though known
    m = emb.embedding_matrix(vocab, oov="<unk>", pad="<pad>")
    np.testing.assert_array_equal(m[2:], [[9, 9], [9, 9]])
    r1 = emb.embedding_matrix(vocab, oov="random", seed=7, pad="<pad>")
    r2 = emb.embedding_matrix(vocab, oov="random", seed=7, pad="<pad>")
    r3 = emb.embedding_matrix(vocab, oov="random", seed=8, pad="<pad>")
    np.testing.assert_array_equal(r1, r2)
    assert not np.array_equal(r1[2:], r3[2:])
    np.testing.assert_array_equal(r1[:2], [[0, 0], [1, 2]])
    assert np.all(r1[2:] != 0)
    big = WordVectors([f"w{i}" for i in range(200)], np.random.default_rng(0).normal(0, 3.0, (200, 50)))
    rows = big.embedding_matrix([f"x{i}" for i in range(400)], oov="random", seed=1)
    assert rows.std() == pytest.approx(big.vectors.std(), rel=0.05)  # scale follows the vectors


def test_embedding_matrix_errors(emb):
    with pytest.raises(UnknownWordError, match="'<oov>'"):
        emb.embedding_matrix(["the", "dog"], oov="<oov>")
    emb.embedding_matrix(["the", "cat"], oov="<oov>")  # no OOV word: the policy is never needed
    with pytest.raises(InvalidParameterError, match="pad token '<pad>' is not in the vocabulary"):
        emb.embedding_matrix(["the", "cat"], pad="<pad>")
    with pytest.raises(InvalidDictionaryError, match="twice"):
        emb.embedding_matrix(["the", "cat", "the"])
    with pytest.raises(InvalidDictionaryError):
        emb.embedding_matrix({"the": 0, "cat": 2})
    with pytest.raises(InvalidDictionaryError):
        emb.embedding_matrix("the cat")
    with pytest.raises(InvalidParameterError, match="seed"):
        emb.embedding_matrix(["dog"], oov="random", seed="x")
    with pytest.raises(InvalidParameterError, match="oov"):
        emb.embedding_matrix(["dog"], oov=None)


def test_embedding_matrix_feeds_torch(emb):
    torch = pytest.importorskip("torch")
    vocab = {"<pad>": 0, "cat": 1, "日本": 2, "dog": 3}
    m = emb.embedding_matrix(vocab, oov="mean", pad="<pad>")
    layer = torch.nn.Embedding.from_pretrained(torch.from_numpy(m), freeze=True, padding_idx=vocab["<pad>"])
    out = layer(torch.tensor([[1, 2, 0, 3]]))
    assert out.shape == (1, 4, 2) and out.dtype == torch.float32
    np.testing.assert_allclose(out[0, 0].numpy(), emb["cat"])
    np.testing.assert_allclose(out[0, 1].numpy(), emb["日本"])
    np.testing.assert_array_equal(out[0, 2].numpy(), [0, 0])
    np.testing.assert_allclose(out[0, 3].numpy(), emb.vectors.mean(axis=0), rtol=1e-6)


# ---------------------------------------------------------------- Glove integration
def _tiny_glove():
    from glovefast import Corpus, Glove

    sentences = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"], ["日本", "naïve", "cat"]] * 30
    corpus = Corpus()
    corpus.fit(sentences, window=3)
    model = Glove(no_components=5, random_state=0)
    model.fit(corpus.matrix, epochs=3, no_threads=1)
    return model, corpus


def test_glove_wv_is_cached_shared_and_rebuilt():
    from glovefast import Glove
    from glovefast.errors import NoDictionaryError, NotFittedError

    with pytest.raises(NotFittedError):
        Glove().wv
    model, corpus = _tiny_glove()
    with pytest.raises(NoDictionaryError):
        model.wv
    model.add_dictionary(corpus.dictionary)
    wv = model.wv
    assert isinstance(wv, WordVectors) and model.wv is wv
    assert all(wv.index_to_key[i] == w for w, i in corpus.dictionary.items())
    assert np.shares_memory(wv.vectors, model.word_vectors)
    assert "日本" in wv and "naïve" in wv
    np.testing.assert_array_equal(wv["cat"], model.word_vectors[corpus.dictionary["cat"]])
    assert [w for w, _ in model.most_similar("cat", number=3)] == [w for w, _ in wv.most_similar("cat", topn=3)]
    model.word_vectors = model.word_vectors * 2 + 1
    assert model.wv is not wv
    np.testing.assert_array_equal(model.wv["cat"], model.word_vectors[corpus.dictionary["cat"]])


def test_glove_load_stanford(tmp_path):
    from glovefast import Glove

    path = tmp_path / "glove.txt"
    path.write_text("the 0.1 0.2 0.3\n. . . 1 0 0\nnaïve 0 1 0\n日本 0 0.9 0.1\n", encoding="utf-8")
    model = Glove.load_stanford(path)
    assert model.dictionary == {"the": 0, ". . .": 1, "naïve": 2, "日本": 3}
    assert model.inverse_dictionary[3] == "日本"
    np.testing.assert_array_equal(model.word_vectors[1], [1, 0, 0])
    np.testing.assert_array_equal(model.word_biases, np.zeros(4))
    assert model.no_components == 3 and model.word_vectors.dtype == np.float32
    assert model.most_similar("naïve", number=1)[0][0] == "日本"
    assert model.transform_paragraph(["naïve", "日本"]).shape == (3,)
    assert len(Glove.load_stanford(path, limit=2).dictionary) == 2
    assert Glove.load_stanford(path, dtype=np.float64).word_vectors.dtype == np.float64
    model.save(tmp_path / "model.npz")  # a loaded model can be saved and reloaded
    again = Glove.load(tmp_path / "model.npz")
    assert again.dictionary == model.dictionary
    np.testing.assert_array_equal(again.word_vectors, model.word_vectors)
