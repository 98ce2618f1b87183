"""Every KeyedVectors method of gensim 4.4 that WordVectors carries, run on the same vectors in both
libraries and compared: same answers (scores within float32 rounding), same return types.

Where gensim 4.4 has a bug (stale norms after add_vectors, reversed ties in
sort_by_descending_frequency, intersect_word2vec_format failing on plain KeyedVectors...), the
comparison is made with what gensim gives once the bug is worked around (a fresh KeyedVectors of
the final vectors, a Word2Vec-style ``vectors_lockf``), and glovefast's own behaviour is checked
against the right answer.
"""
import warnings

import numpy as np
import pytest

from glovefast.errors import (
    DimensionMismatchError,
    InvalidDictionaryError,
    InvalidMatrixError,
    InvalidParameterError,
    MissingExtraError,
    UnknownWordError,
)
from glovefast.vectors.word_vectors import WordVectors

gensim_models = pytest.importorskip("gensim.models")

N, D = 240, 12
TOL = 2e-6


def _words(n):
    return [f"w{i}" for i in range(n)]


def _pair(n=N, d=D, seed=0, dtype=np.float32, counts=True):
    """(WordVectors, gensim KeyedVectors) of the same random vectors; counts strictly decreasing."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d)).astype(dtype)
    c = np.arange(n, 0, -1, dtype=np.int64) * 3 if counts else None
    wv = WordVectors(_words(n), vectors.copy(), counts=c)
    kv = gensim_models.KeyedVectors(d, dtype=dtype)
    kv.add_vectors(_words(n), vectors.copy())
    if counts:
        for w, k in zip(_words(n), c.tolist()):
            kv.set_vecattr(w, "count", k)
    return wv, kv


def _fresh_kv(wv):
    """A new gensim KeyedVectors of wv's current words and vectors (no stale state)."""
    kv = gensim_models.KeyedVectors(wv.vector_size, dtype=wv.vectors.dtype)
    kv.add_vectors(list(wv.index_to_key), np.array(wv.vectors))
    return kv


def _same_ranked(ours, theirs, tol=TOL):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert all(isinstance(s, float) for _, s in ours)
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=tol)


@pytest.fixture(scope="module")
def both():
    return _pair()


# ---------------------------------------------------------------- queries
def test_similar_by_word_key_and_vector(both):
    wv, kv = both
    for word in ("w0", "w7", "w200"):
        _same_ranked(wv.similar_by_word(word, topn=8), kv.similar_by_word(word, topn=8))
        _same_ranked(wv.similar_by_key(word, topn=5, restrict_vocab=50), kv.similar_by_key(word, topn=5,
                                                                                           restrict_vocab=50))
    np.testing.assert_allclose(wv.similar_by_key("w3", topn=None), kv.similar_by_key("w3", topn=None), atol=TOL)
    vec = wv["w5"] * 2 - wv["w9"]
    _same_ranked(wv.similar_by_vector(vec, topn=10), kv.similar_by_vector(vec, topn=10))
    with pytest.raises(UnknownWordError):
        wv.similar_by_word("nope")


def test_n_similarity(both):
    wv, kv = both
    for ws1, ws2 in ((["w1", "w2", "w3"], ["w4", "w5"]), (["w10"], ["w10", "w11", "w11"])):
        ours = wv.n_similarity(ws1, ws2)
        assert isinstance(ours, float)
        assert ours == pytest.approx(float(kv.n_similarity(ws1, ws2)), abs=TOL)
    # gensim 4.4 silently leaves unknown words out; glovefast names them
    with pytest.raises(UnknownWordError, match="nope"):
        wv.n_similarity(["w1", "nope"], ["w2"])
    with pytest.raises(InvalidParameterError):
        wv.n_similarity([], ["w2"])


def test_closer_than_rank_and_words_closer_than(both):
    wv, kv = both
    for a, b in (("w0", "w1"), ("w5", "w100"), ("w17", "w17"), ("w3", "w239")):
        assert wv.closer_than(a, b) == kv.closer_than(a, b)
        ours = wv.rank(a, b)
        assert isinstance(ours, int) and ours == kv.rank(a, b)
    with pytest.warns(DeprecationWarning):
        ours = wv.words_closer_than("w2", "w40")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert ours == kv.words_closer_than("w2", "w40")


def test_most_similar_to_given_and_relative_cosine(both):
    wv, kv = both
    candidates = ["w9", "w30", "w31", "w2", "w150"]
    assert wv.most_similar_to_given("w4", candidates) == kv.most_similar_to_given("w4", candidates)
    for topn in (1, 10, 50):
        ours = wv.relative_cosine_similarity("w8", "w60", topn=topn)
        assert isinstance(ours, float)
        assert ours == pytest.approx(kv.relative_cosine_similarity("w8", "w60", topn=topn), rel=1e-5)
    with pytest.raises(InvalidParameterError):
        wv.most_similar_to_given("w4", [])
    with pytest.raises(InvalidParameterError):
        wv.relative_cosine_similarity("w8", "w60", topn=0)


def test_cosine_similarities_static(both):
    wv, kv = both
    v = wv["w1"] + wv["w2"]
    ours = WordVectors.cosine_similarities(v, wv.vectors[:30])
    np.testing.assert_allclose(ours, gensim_models.KeyedVectors.cosine_similarities(v, kv.vectors[:30]), atol=TOL)
    assert ours.shape == (30,)
    zero = WordVectors.cosine_similarities(np.zeros(D), wv.vectors[:3])  # gensim: NaN
    assert (zero == 0).all()


@pytest.mark.parametrize("use_norm", [True, False])
def test_rank_by_centrality(both, use_norm):
    wv, kv = both
    words = ["w3", "w4", "w50", "w51", "w52", "w200", "w4"]
    ours = wv.rank_by_centrality(words, use_norm=use_norm)
    theirs = kv.rank_by_centrality(words, use_norm=use_norm)
    assert [w for _, w in ours] == [w for _, w in theirs]
    np.testing.assert_allclose([s for s, _ in ours], [s for s, _ in theirs], rtol=1e-5, atol=1e-5)
    assert all(isinstance(s, float) for s, _ in ours)
    assert wv.doesnt_match(words) == kv.doesnt_match(words)
    with pytest.raises(UnknownWordError):  # gensim logs and leaves the word out
        wv.rank_by_centrality(["w3", "nope"])


def test_has_index_for(both):
    wv, kv = both
    for key in ("w0", "w239", "nope", "W0"):
        assert wv.has_index_for(key) == kv.has_index_for(key)


@pytest.mark.parametrize("pre,post", [(True, False), (False, False), (True, True), (False, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_get_mean_vector(pre, post, dtype):
    wv, kv = _pair(dtype=dtype)
    keys = ["w1", "w2", "w30", "w30"]
    for weights in (None, [1.0, 2.0, -0.5, 0.25], np.array([0.1, 0.2, 0.3, 0.4])):
        ours = wv.get_mean_vector(keys, weights=weights, pre_normalize=pre, post_normalize=post)
        theirs = kv.get_mean_vector(keys, weights=weights, pre_normalize=pre, post_normalize=post)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        assert ours.dtype == dtype  # gensim casts to float32 after post_normalize
    # explicit vectors (raw, as gensim adds them), unknown words left out by default
    mixed = ["w5", wv["w6"] * 3, "nope"]
    np.testing.assert_allclose(wv.get_mean_vector(mixed, pre_normalize=pre, post_normalize=post),
                               kv.get_mean_vector(mixed, pre_normalize=pre, post_normalize=post), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(UnknownWordError, match="nope"):
        wv.get_mean_vector(mixed, ignore_missing=False)
    with pytest.raises(KeyError):
        kv.get_mean_vector(mixed, ignore_missing=False)
    with pytest.raises(UnknownWordError):  # gensim returns a zero vector
        wv.get_mean_vector(["nope", "neither"])
    with pytest.raises(ValueError):
        wv.get_mean_vector([])
    with pytest.raises(ValueError):
        wv.get_mean_vector(["w1", "w2"], weights=[1.0])


def test_get_mean_vector_of_a_matrix_matches_gensim(both):
    wv, kv = both
    rows = wv.vectors[:5]
    np.testing.assert_allclose(wv.get_mean_vector(rows, post_normalize=True),
                               kv.get_mean_vector(rows, post_normalize=True), atol=1e-6)


def test_wmdistance_matches_gensim(both):
    pytest.importorskip("ot")
    wv, kv = both
    docs = (["w1", "w2", "w3", "w2"], ["w4", "w5", "nope"], ["w1", "w2", "w3", "w2"], ["w200"], ["w7", "w7"])
    for d1 in docs:
        for d2 in docs:
            for norm in (True, False):
                ours = wv.wmdistance(d1, d2, norm=norm)
                assert isinstance(ours, float)
                assert ours == pytest.approx(float(kv.wmdistance(d1, d2, norm=norm)), rel=1e-5, abs=1e-6)
    assert wv.wmdistance(["w1"], ["nope"]) == float("inf") == kv.wmdistance(["w1"], ["nope"])
    # words with coinciding vectors: gensim returns inf (an all-zero cost matrix), the distance is 0
    same = WordVectors(["a", "b"], np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32))
    assert same.wmdistance(["a"], ["b"]) == 0.0


def test_wmdistance_without_pot_names_the_extra(both, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ot(name, *args, **kwargs):
        if name == "ot" or name.startswith("ot."):
            raise ImportError("No module named 'ot'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ot)
    with pytest.raises(MissingExtraError, match=r"glovefast\[wmd\]") as err:
        both[0].wmdistance(["w1"], ["w2"])
    assert err.value.extra == "wmd" and isinstance(err.value, ImportError)


# ---------------------------------------------------------------- changing the vectors
def test_add_vectors_setitem_add_vector_match_gensim():
    wv, kv = _pair(n=60)
    wv.fill_norms()  # a warm cache must follow the changes (gensim's does not: see the module docstring)
    rng = np.random.default_rng(5)
    new = rng.normal(size=(3, D)).astype(np.float32)
    wv.add_vectors(["x1", "w2", "x2"], new)  # w2 exists: kept
    kv.add_vectors(["x1", "w2", "x2"], new)
    assert wv.index_to_key == kv.index_to_key and wv.key_to_index == kv.key_to_index
    np.testing.assert_array_equal(wv.vectors, kv.vectors)
    wv.add_vectors(["w3", "x3"], new[:2], replace=True)
    kv.add_vectors(["w3", "x3"], new[:2], replace=True)
    np.testing.assert_array_equal(wv.vectors, kv.vectors)
    wv["w4"] = new[2]
    kv["w4"] = new[2]
    wv[["x4", "w5"]] = new[:2]
    kv[["x4", "w5"]] = new[:2]
    np.testing.assert_array_equal(wv.vectors, kv.vectors)
    assert wv.add_vector("x5", new[1]) == kv.add_vector("x5", new[1]) == len(wv) - 1
    assert wv.add_vector("w0", new[0]) == 0  # already present: its id (gensim returns one past the end)
    np.testing.assert_array_equal(wv["w0"], kv["w0"])
    assert wv.index_to_key == kv.index_to_key
    fresh = _fresh_kv(wv)
    for word in ("w0", "w3", "w4", "x1", "x5"):
        _same_ranked(wv.most_similar(word, topn=10), fresh.most_similar(word, topn=10))
    np.testing.assert_allclose(wv.norms, np.linalg.norm(wv.vectors, axis=1), rtol=1e-6)
    # counts: new words count 0, extras give theirs, in step with the words (gensim drops extras)
    assert wv.get_vecattr("x1", "count") == 0 and wv.get_vecattr("w1", "count") == kv.get_vecattr("w1", "count")
    wv.add_vectors(["y1", "y2"], new[:2], extras={"count": [7, 8]})
    assert [wv.get_vecattr(w, "count") for w in ("y1", "y2")] == [7, 8]
    assert len(wv.counts) == len(wv)


def test_add_vectors_checks_its_input():
    wv, _ = _pair(n=10)
    with pytest.raises(InvalidDictionaryError, match="twice"):
        wv.add_vectors(["a", "a"], np.zeros((2, D)))
    with pytest.raises(InvalidMatrixError):
        wv.add_vectors(["a"], np.zeros((1, D + 1)))
    with pytest.raises(InvalidMatrixError, match="NaN or inf"):
        wv["a"] = np.full(D, 1e300)  # inf once converted to float32
    with pytest.raises(InvalidDictionaryError):
        wv.add_vectors([""], np.zeros((1, D)))
    with pytest.raises(InvalidParameterError):
        wv.add_vectors(["a"], np.zeros((1, D)), extras={"sample_int": [1]})
    assert len(wv) == 10


def test_edits_of_memory_mapped_vectors_stay_in_memory(tmp_path):
    wv, _ = _pair(n=50)
    path = tmp_path / "v.npz"
    wv.save(path)
    mapped = WordVectors.load(path, mmap=True)
    assert not mapped.vectors.flags.writeable
    before = mapped.most_similar("w1", topn=3)
    mapped["w1"] = np.ones(D, dtype=np.float32)
    mapped.unit_normalize_all()
    mapped.add_vectors(["new"], np.ones((1, D)))
    assert mapped.most_similar("w1", topn=1)[0][0] == "new"
    assert WordVectors.load(path).most_similar("w1", topn=3) == before  # the file is unchanged


def test_vecattrs(both):
    wv, kv = both
    assert wv.get_vecattr("w10", "count") == kv.get_vecattr("w10", "count")
    wv2, kv2 = _pair(n=20, counts=False)
    wv2.set_vecattr("w3", "count", 9)
    kv2.set_vecattr("w3", "count", 9)
    assert [wv2.get_vecattr(w, "count") for w in _words(20)] == [kv2.get_vecattr(w, "count") for w in _words(20)]
    with pytest.raises(InvalidParameterError, match="'count'"):
        wv.get_vecattr("w1", "sample_int")
    with pytest.raises(InvalidParameterError, match="no word counts"):
        _pair(n=5, counts=False)[0].get_vecattr("w1", "count")


def test_sort_by_descending_frequency():
    wv, kv = _pair(n=80)
    wv.fill_norms()
    rng = np.random.default_rng(3)
    new_counts = rng.permutation(80) * 2 + 1  # distinct
    for w, c in zip(_words(80), new_counts.tolist()):
        wv.set_vecattr(w, "count", c)
        kv.set_vecattr(w, "count", c)
    wv.sort_by_descending_frequency()
    kv.sort_by_descending_frequency()
    assert wv.index_to_key == kv.index_to_key and wv.key_to_index == kv.key_to_index
    np.testing.assert_array_equal(wv.vectors, kv.vectors)
    assert [wv.get_vecattr(w, "count") for w in wv.index_to_key] == sorted(new_counts.tolist(), reverse=True)
    _same_ranked(wv.most_similar("w0", topn=10), _fresh_kv(wv).most_similar("w0", topn=10))
    # ties keep their order (gensim 4.4 reverses them)
    tied = WordVectors(["a", "b", "c", "d"], np.eye(4, dtype=np.float32), counts=[1, 5, 5, 5])
    tied.sort_by_descending_frequency()
    assert tied.index_to_key == ["b", "c", "d", "a"]


def test_unit_normalize_all(both):
    _, _ = both
    wv, kv = _pair(n=40)
    wv.fill_norms()
    wv.unit_normalize_all()
    kv.unit_normalize_all()
    np.testing.assert_allclose(wv.vectors, kv.vectors, atol=1e-7)
    np.testing.assert_allclose(wv.norms, 1.0, rtol=1e-6)
    _same_ranked(wv.most_similar("w2"), kv.most_similar("w2"))
    z = WordVectors(["a", "b"], np.array([[0.0, 0.0], [3.0, 4.0]]))
    z.unit_normalize_all()
    np.testing.assert_array_equal(z.vectors, [[0.0, 0.0], [0.6, 0.8]])  # gensim: NaN for the zero row


def test_resize_vectors():
    wv, kv = _pair(n=30)
    wv.fill_norms()
    old = wv.vectors.copy()
    for obj in (wv, kv):
        obj.index_to_key.extend(["n1", "n2"])
        obj.key_to_index.update({"n1": 30, "n2": 31})
        obj.resize_vectors(seed=1)
    assert wv.vectors.shape == kv.vectors.shape == (32, D)
    np.testing.assert_array_equal(wv.vectors[:30], old)
    assert (np.abs(wv.vectors[30:]) <= 1.0 / D).all() and (np.abs(kv.vectors[30:]) <= 1.0 / D).all()
    assert wv.get_vecattr("n1", "count") == 0 and len(wv.counts) == 32
    _same_ranked(wv.most_similar("n1"), _fresh_kv(wv).most_similar("n1"))
    del wv.index_to_key[-5:]
    wv.resize_vectors()
    assert wv.vectors.shape == (27, D) and "n2" not in wv and len(wv.counts) == 27
    wv.index_to_key.append("w3")  # a repeated word
    with pytest.raises(InvalidDictionaryError, match="w3"):
        wv.resize_vectors()


def test_vectors_for_all(both):
    wv, kv = both
    keys = ["w5", "nope", "w1", "w5", "w100"]
    for copy in (False, True):
        ours = wv.vectors_for_all(keys, copy_vecattrs=copy)
        theirs = kv.vectors_for_all(keys, copy_vecattrs=copy)
        assert isinstance(ours, WordVectors)
        assert ours.index_to_key == theirs.index_to_key == ["w5", "w1", "w100"]
        np.testing.assert_array_equal(ours.vectors, theirs.vectors)
        if copy:
            assert [ours.get_vecattr(w, "count") for w in ours] == [theirs.get_vecattr(w, "count") for w in theirs.index_to_key]
        else:
            assert ours.counts is None


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_word2vec_format(tmp_path, binary):
    wv, kv = _pair(n=50)
    wv.fill_norms()
    rng = np.random.default_rng(9)
    other = WordVectors(["w3", "zz", "w40", "w7"], rng.normal(size=(4, D)).astype(np.float32))
    path = tmp_path / ("o.bin" if binary else "o.txt")
    other.save_word2vec_format(path, binary=binary)
    assert wv.intersect_word2vec_format(path, binary=binary) == 3
    if not binary:  # gensim's binary branch uses numpy.fromstring, gone from numpy 2
        kv.vectors_lockf = np.ones(len(kv))  # what a Word2Vec model's wv has; plain KeyedVectors lack it
        kv.intersect_word2vec_format(str(path), binary=False)
        np.testing.assert_array_equal(wv.vectors, kv.vectors)
    for w in ("w3", "w40", "w7"):
        np.testing.assert_array_equal(wv[w], other[w])
    assert "zz" not in wv
    _same_ranked(wv.most_similar("w3"), _fresh_kv(wv).most_similar("w3"))
    with pytest.raises(InvalidParameterError, match="lockf"):
        wv.intersect_word2vec_format(path, lockf=1.0, binary=binary)
    small = WordVectors(["w3"], np.ones((1, 3), dtype=np.float32))
    with pytest.raises(DimensionMismatchError):
        small.intersect_word2vec_format(path, binary=binary)


# ---------------------------------------------------------------- a KeyedVectors user's files
class _Marker:
    """Unpickling this writes a file: proof that a loader unpickled."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_gensim_saved_files_are_refused_and_convert(tmp_path, cli):
    import pickle

    from glovefast import Corpus, Glove, load_vectors
    from glovefast.errors import FormatError

    wv, kv = _pair(n=30)
    kv_path = tmp_path / "kv.model"
    kv.save(str(kv_path))
    w2v_path = tmp_path / "w2v.model"
    gensim_models.Word2Vec([["a", "b", "c", "a"]] * 10, vector_size=8, min_count=1, epochs=1, seed=1,
                           workers=1).save(str(w2v_path))
    marker = tmp_path / "unpickled"
    # looks like gensim in its first bytes, and would run code if unpickled
    crafted = tmp_path / "crafted.model"
    crafted.write_bytes(pickle.dumps(("gensim.models.keyedvectors", _Marker(marker)), protocol=4))
    for path, what in ((kv_path, "KeyedVectors"), (w2v_path, "Word2Vec"), (crafted, "gensim")):
        for load in (WordVectors.load, load_vectors, lambda p: load_vectors(p, fmt="word2vec"), Glove.load,
                     Corpus.load):
            with pytest.raises(FormatError, match=f"(?s){what}.*glovefast convert --from-gensim"):
                load(path)
        proc = cli("similar", path, "a")
        assert proc.returncode == 2 and "glovefast convert --from-gensim" in proc.stderr
    assert not marker.exists()

    out = tmp_path / "kv.npz"
    assert cli("convert", "--from-gensim", kv_path, out).returncode == 0
    converted = WordVectors.load(out)
    assert converted.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(converted.vectors, kv.vectors)
    assert [converted.get_vecattr(w, "count") for w in converted] == [kv.get_vecattr(w, "count") for w in
                                                                      kv.index_to_key]
    out2 = tmp_path / "w2v.txt"
    assert cli("convert", "--from-gensim", w2v_path, out2).returncode == 0
    assert sorted(WordVectors.load_word2vec_format(out2).index_to_key) == ["a", "b", "c"]
    # --from-gensim hands gensim only files that claim to be gensim's
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps({"word_vectors": _Marker(marker)}, protocol=4))
    proc = cli("convert", "--from-gensim", other, tmp_path / "o.npz")
    assert proc.returncode == 2 and "--from-glove-python" in proc.stderr
    assert not marker.exists()
