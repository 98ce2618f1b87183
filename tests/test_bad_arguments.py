"""Low items of the audit (issue 11): each repro is a test, each answer a named error."""
import numpy as np
import pytest
import scipy.sparse as sp

from glovefast import Corpus, Glove, WordVectors
from glovefast.errors import InvalidMatrixError, InvalidParameterError

WORDS = ["king", "queen", "man", "woman", "apple"]


@pytest.fixture(scope="module")
def wv():
    rng = np.random.default_rng(0)
    return WordVectors(WORDS, rng.normal(size=(5, 4)).astype(np.float32))


@pytest.fixture(scope="module")
def model():
    corpus = Corpus().fit([WORDS * 3, WORDS[::-1] * 2], window=2)
    glove = Glove(no_components=4, random_state=0).fit(corpus.matrix, epochs=2, no_threads=1)
    return glove.add_dictionary(corpus.dictionary)


# ---------------------------------------------------------------------------- query vectors
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_query_vectors_are_refused(wv, bad):
    vector = np.ones(4, dtype=np.float32)
    vector[2] = bad
    calls = [
        lambda: wv.most_similar(positive=[vector]),
        lambda: wv.similar_by_vector(vector),
        lambda: wv.most_similar_cosmul(positive=[vector]),
        lambda: wv.distances(vector),
        lambda: wv.most_similar_batch(np.stack([np.ones(4, np.float32), vector])),
        lambda: wv.most_similar(positive=["king", vector], negative=["man"]),
    ]
    for call in calls:
        with pytest.raises(InvalidParameterError, match="NaN or infinite value.*index 2"):
            call()


def test_huge_float64_query_overflowing_float32_is_refused(wv):
    with pytest.raises(InvalidParameterError, match="NaN or infinite"):
        wv.similar_by_vector(np.full(4, 1e300))


def test_non_finite_weight_is_refused(wv):
    with pytest.raises(InvalidParameterError, match="weight of 'king' must be finite"):
        wv.most_similar(positive=[("king", float("nan"))])


def test_finite_vectors_still_work(wv):
    assert wv.similar_by_vector(wv["king"], topn=1)[0][0] == "king"


@pytest.mark.parametrize("bad", [5, 2.5, None.__class__, object()])
def test_most_similar_with_a_non_word_says_pass_a_word_or_vector(wv, model, bad):
    for call in (lambda: wv.most_similar(bad), lambda: model.wv.most_similar(bad)):
        with pytest.raises(InvalidParameterError, match="must be a word .str. or a vector of length 4") as info:
            call()
        assert "most_similar('king')" in str(info.value)


def test_glove_most_similar_with_a_number(model):
    """The audit's `most_similar(5)` on the glove_python API: a raw TypeError before."""
    with pytest.raises(InvalidParameterError, match="pass a word"):
        model.most_similar(5)


def test_batch_queries_of_strings_array(wv):
    with pytest.raises(InvalidParameterError, match="real numbers"):
        wv.most_similar_batch(np.array([["a", "b", "c", "d"]]))


# ---------------------------------------------------------------------------- random_state
@pytest.mark.parametrize("bad", ["abc", -1, 2.5, True, [1, 2]])
def test_bad_random_state_is_a_named_error_at_fit(bad):
    model = Glove(no_components=4, random_state=bad)  # __init__ only stores it, as scikit-learn
    with pytest.raises(InvalidParameterError, match="random_state"):
        model.fit(sp.coo_matrix(np.ones((3, 3))), epochs=1, no_threads=1)


@pytest.mark.parametrize("good", [None, 0, 2**63, np.int64(7), np.random.default_rng(3),
                                  np.random.SeedSequence(5), np.random.PCG64(1)])
def test_valid_random_states(good):
    model = Glove(no_components=4, random_state=good).fit(sp.coo_matrix(np.ones((3, 3))), epochs=1, no_threads=1)
    assert np.isfinite(model.word_vectors).all()


def test_same_integer_seed_same_vectors():
    m = sp.coo_matrix(np.arange(1, 10, dtype=float).reshape(3, 3))
    a = Glove(no_components=4, random_state=11).fit(m, epochs=3, no_threads=1)
    b = Glove(no_components=4, random_state=11).fit(m, epochs=3, no_threads=1)
    np.testing.assert_array_equal(a.word_vectors, b.word_vectors)


# ---------------------------------------------------------------------------- matrices
@pytest.mark.parametrize("matrix", [
    np.array([[1, "a"], ["b", 2]], dtype=object),
    np.array([[1.0, 2.0], [3.0, 4.0]], dtype=object),
    np.array([["1", "2"], ["3", "4"]]),
    np.ones((2, 2), dtype=complex),
    np.ones((2, 2), dtype=bool),
])
def test_non_numeric_dense_matrices_are_named(matrix):
    with pytest.raises(InvalidMatrixError, match="real numbers"):
        Glove(no_components=2).fit(matrix, epochs=1, no_threads=1)


def test_non_numeric_sparse_matrix_is_named():
    matrix = sp.csr_matrix(np.ones((2, 2), dtype=complex))
    with pytest.raises(InvalidMatrixError, match="real numbers"):
        Glove(no_components=2).fit(matrix, epochs=1, no_threads=1)


def test_dense_float16_matrix_is_trained_as_its_exact_values():
    """scipy.sparse has no float16 (its raw ValueError reached the user): the values are taken
    exactly, as float32, and train as the same matrix in float64 does."""
    rng = np.random.default_rng(0)
    half = np.triu(rng.integers(1, 50, (12, 12))).astype(np.float16) / np.float16(4)
    a = Glove(no_components=3, random_state=0).fit(half, epochs=2, no_threads=1)
    b = Glove(no_components=3, random_state=0).fit(half.astype(np.float64), epochs=2, no_threads=1)
    np.testing.assert_array_equal(a.word_vectors, b.word_vectors)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_repeated_entries_summing_past_the_largest_float_are_named_at_validation(dtype):
    """Each count is finite, their sum is not: named as such before training (it used to fail
    as "training diverged ... lower learning_rate", advice that cannot help)."""
    big = np.finfo(dtype).max
    m = sp.coo_matrix((np.array([big, big, 3.0], dtype=dtype), ([0, 0, 1], [1, 1, 2])), shape=(3, 3))
    with pytest.raises(InvalidMatrixError, match=r"repeats entry \(0, 1\).*sum to inf.*list each cell once"):
        Glove(no_components=2).fit(m, epochs=1, no_threads=1)
