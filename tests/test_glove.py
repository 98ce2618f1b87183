"""Glove: training behaviour, reproducibility, matrix forms, queries, persistence and errors."""
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import topic_docs
from glovefast import Corpus, Glove
from glovefast.errors import (
    FormatError,
    InvalidDictionaryError,
    InvalidMatrixError,
    InvalidParameterError,
    NoDictionaryError,
    NotFittedError,
    TrainingDivergedError,
    UnknownWordError,
)


@pytest.fixture(scope="session")
def corpus(topic_corpus):
    """Two topics whose words only cooccur within their topic (shared, read only)."""
    return topic_corpus


def test_fit_returns_self_and_shapes(corpus):
    g = Glove(no_components=10, random_state=0)
    assert g.fit(corpus.matrix, epochs=3, no_threads=1) is g
    n = len(corpus.dictionary)
    assert g.word_vectors.shape == (n, 10) and g.context_vectors.shape == (n, 10)
    assert g.word_biases.shape == (n,) and g.context_biases.shape == (n,)
    assert len(g.loss_history_) == 3
    assert g.n_updates_per_epoch_ == 2 * corpus.matrix.nnz - int((corpus.matrix.row == corpus.matrix.col).sum())


def test_loss_decreases_and_model_fits_log_counts(corpus):
    m = corpus.matrix
    g = Glove(no_components=8, learning_rate=0.05, max_count=10, random_state=0).fit(m, epochs=200, no_threads=1)
    assert g.loss_history_[-1] < g.loss_history_[0] / 20
    W = g.word_vectors - g.context_vectors  # vector_mode="sum": recover W
    pred = np.einsum("ij,ij->i", W[m.row], g.context_vectors[m.col]) + g.word_biases[m.row] + g.context_biases[m.col]
    assert np.abs(pred - np.log(m.data)).mean() < 0.1


def test_learns_topics(corpus):
    g = Glove(no_components=10, max_count=10, random_state=0).fit(corpus.matrix, epochs=50, no_threads=1)
    g.add_dictionary(corpus.dictionary)
    similar = [w for w, _ in g.most_similar("cat", number=5)]
    assert set(similar) == {"dog", "pet", "fur", "paw", "tail"}


def test_single_thread_is_bit_for_bit_reproducible(corpus):
    a = Glove(no_components=12, random_state=42).fit(corpus.matrix, epochs=4, no_threads=1)
    b = Glove(no_components=12, random_state=42).fit(corpus.matrix, epochs=4, no_threads=1)
    c = Glove(no_components=12, random_state=43).fit(corpus.matrix, epochs=4, no_threads=1)
    np.testing.assert_array_equal(a.word_vectors, b.word_vectors)
    np.testing.assert_array_equal(a.word_biases, b.word_biases)
    assert a.loss_history_ == b.loss_history_
    assert not np.array_equal(a.word_vectors, c.word_vectors)


@pytest.fixture
def generic_kernel():
    """Run a test on the portable float32 kernel, then restore the runtime choice."""
    from glovefast._kernels.glove import _select_f32_kernel

    _select_f32_kernel(False)
    yield
    _select_f32_kernel(True)


def _fit_f32(matrix, dim, epochs):
    return Glove(no_components=dim, max_count=10, random_state=7).fit(matrix, epochs=epochs, no_threads=1)


@pytest.mark.parametrize("dim", [5, 16, 50])
def test_avx2_kernel_matches_the_portable_one(corpus, dim):
    # The AVX2 kernel replaces g / sqrt(G) by g * rsqrt(G) refined by Newton-Raphson: the same
    # update up to float32 rounding, so a short run must agree closely with the portable kernel.
    from glovefast._kernels.glove import _select_f32_kernel

    if not _select_f32_kernel(True):
        pytest.skip("this CPU or build has no AVX2+FMA kernel")
    fast = _fit_f32(corpus.matrix, dim, 10)
    _select_f32_kernel(False)
    try:
        portable = _fit_f32(corpus.matrix, dim, 10)
    finally:
        _select_f32_kernel(True)
    assert not np.array_equal(fast.word_vectors, portable.word_vectors)  # two kernels really ran
    np.testing.assert_allclose(fast.word_vectors, portable.word_vectors, rtol=0, atol=2e-4)
    np.testing.assert_allclose(fast.word_biases, portable.word_biases, rtol=0, atol=2e-4)
    np.testing.assert_allclose(fast.loss_history_, portable.loss_history_, rtol=1e-4)


def test_portable_kernel_is_reproducible_and_learns(corpus, generic_kernel):
    a = _fit_f32(corpus.matrix, 12, 30)
    b = _fit_f32(corpus.matrix, 12, 30)
    np.testing.assert_array_equal(a.word_vectors, b.word_vectors)
    assert a.loss_history_[-1] < a.loss_history_[0] / 2


def test_multithreaded_training_converges(corpus):
    g = Glove(no_components=10, random_state=0).fit(corpus.matrix, epochs=20, no_threads=3)
    assert np.isfinite(g.word_vectors).all()
    assert g.loss_history_[-1] < g.loss_history_[0]


def test_float64(corpus):
    g = Glove(no_components=10, random_state=0, dtype=np.float64).fit(corpus.matrix, epochs=5, no_threads=1)
    assert g.word_vectors.dtype == np.float64
    g32 = Glove(no_components=10, random_state=0).fit(corpus.matrix, epochs=5, no_threads=1)
    assert g32.word_vectors.dtype == np.float32
    np.testing.assert_allclose(g.loss_history_, g32.loss_history_, rtol=1e-3)


def test_vector_mode_word(corpus):
    s = Glove(no_components=6, random_state=0).fit(corpus.matrix, epochs=2, no_threads=1)
    w = Glove(no_components=6, random_state=0, vector_mode="word").fit(corpus.matrix, epochs=2, no_threads=1)
    np.testing.assert_allclose(s.word_vectors, w.word_vectors + w.context_vectors, rtol=1e-6)


def test_upper_triangle_and_full_matrix_train_the_same_updates(corpus):
    upper = corpus.matrix
    full = (upper + sp.triu(upper, k=1).T).tocoo()
    a = Glove(no_components=6, random_state=0).fit(upper, epochs=1, no_threads=1)
    b = Glove(no_components=6, random_state=0).fit(full, epochs=1, no_threads=1)
    lower = Glove(no_components=6, random_state=0).fit(upper.T.tocoo(), epochs=1, no_threads=1)
    assert a.n_updates_per_epoch_ == b.n_updates_per_epoch_ == lower.n_updates_per_epoch_
    # forcing symmetric=False on the triangle trains each stored entry once
    c = Glove(no_components=6, random_state=0).fit(upper, epochs=1, no_threads=1, symmetric=False)
    assert c.n_updates_per_epoch_ == upper.nnz


def test_left_context_matrix_trains_as_stored():
    docs = topic_docs(n_docs=50)
    c = Corpus().fit(docs, window=3, symmetric=False)
    g = Glove(no_components=5, random_state=0).fit(c.matrix, epochs=2, no_threads=1)
    assert g.n_updates_per_epoch_ == c.matrix.nnz


@pytest.mark.parametrize("convert", [lambda m: m.tocsr(), lambda m: m.toarray(), lambda m: sp.coo_array(m)])
def test_accepts_other_matrix_forms(corpus, convert):
    g = Glove(no_components=4, random_state=0).fit(convert(corpus.matrix), epochs=1, no_threads=1)
    assert g.n_updates_per_epoch_ > 0


def test_duplicate_coo_entries_are_summed():
    m = sp.coo_matrix(([1.0, 2.0, 4.0], ([0, 0, 0], [1, 1, 2])), shape=(3, 3))
    a = Glove(no_components=4, random_state=0).fit(m, epochs=3, no_threads=1)
    b = Glove(no_components=4, random_state=0).fit(sp.coo_matrix(([3.0, 4.0], ([0, 0], [1, 2])), shape=(3, 3)),
                                                   epochs=3, no_threads=1)
    np.testing.assert_array_equal(a.word_vectors, b.word_vectors)


def test_zero_epochs_keeps_initialisation(corpus):
    g = Glove(no_components=4, random_state=0).fit(corpus.matrix, epochs=0)
    assert g.loss_history_ == [] and np.abs(g.word_vectors).max() < 1.0


@pytest.mark.parametrize("data", [[1.0, -1.0], [1.0, 0.0], [1.0, np.nan], [1.0, np.inf]])
def test_bad_counts(data):
    m = sp.coo_matrix((data, ([0, 1], [1, 1])), shape=(2, 2))
    with pytest.raises(InvalidMatrixError, match="finite and > 0"):
        Glove().fit(m)


def test_non_square_and_empty_and_out_of_range():
    with pytest.raises(InvalidMatrixError, match="square"):
        Glove().fit(sp.coo_matrix(np.ones((2, 3))))
    with pytest.raises(InvalidMatrixError, match="no entries"):
        Glove().fit(sp.coo_matrix((3, 3)))
    m = sp.coo_matrix(np.ones((2, 2)))
    m.row = np.array([0, 0, 1, 5], dtype=np.int32)[: m.nnz]
    m.row[-1] = 5
    with pytest.raises(InvalidMatrixError, match="outside"):
        Glove().fit(m)
    with pytest.raises(InvalidMatrixError, match="scipy.sparse"):
        Glove().fit([[1, 2], [3, 4]])


@pytest.mark.parametrize("kwargs", [{"epochs": -1}, {"no_threads": -1}, {"epochs": 1.5}, {"symmetric": "auto"}])
def test_invalid_fit_arguments(corpus, kwargs):
    with pytest.raises(InvalidParameterError):
        Glove().fit(corpus.matrix, **kwargs)


@pytest.mark.parametrize("kwargs", [{"no_components": 0}, {"learning_rate": 0}, {"learning_rate": np.nan},
                                    {"max_count": -1}, {"alpha": -0.5}, {"max_loss": 0}, {"dtype": np.int32},
                                    {"vector_mode": "both"}])
def test_invalid_hyperparameters(corpus, kwargs):
    with pytest.raises(InvalidParameterError):
        Glove(**kwargs).fit(corpus.matrix)


def test_divergence_is_reported_and_last_finite_epoch_kept(corpus):
    g = Glove(no_components=5, learning_rate=1e30, max_loss=1e30, random_state=0)
    with pytest.raises(TrainingDivergedError, match="epoch 1.*learning_rate"):
        g.fit(corpus.matrix, epochs=3, no_threads=1)
    assert np.isfinite(g.word_vectors).all()


def test_queries_need_fit_and_dictionary(corpus):
    g = Glove(no_components=4)
    with pytest.raises(NotFittedError):
        g.most_similar("cat")
    with pytest.raises(NotFittedError):
        g.add_dictionary(corpus.dictionary)
    g.fit(corpus.matrix, epochs=1, no_threads=1)
    with pytest.raises(NoDictionaryError, match="add_dictionary"):
        g.most_similar("cat")
    with pytest.raises(InvalidDictionaryError, match="words but the model has"):
        g.add_dictionary({"cat": 0})
    with pytest.raises(InvalidDictionaryError):
        g.add_dictionary({w: i + 1 for w, i in corpus.dictionary.items()})
    g.add_dictionary(corpus.dictionary)
    with pytest.raises(UnknownWordError, match="'unicorn'"):
        g.most_similar("unicorn")
    with pytest.raises(KeyError):
        g.most_similar("unicorn")


def test_most_similar_excludes_query_and_is_sorted(corpus):
    g = Glove(no_components=10, random_state=0).fit(corpus.matrix, epochs=10, no_threads=1)
    g.add_dictionary(corpus.dictionary)
    result = g.most_similar("road", number=4)
    assert len(result) == 4
    assert "road" not in [w for w, _ in result]
    sims = [s for _, s in result]
    assert sims == sorted(sims, reverse=True)
    v = g.word_vectors / np.linalg.norm(g.word_vectors, axis=1, keepdims=True)
    w, s = result[0]
    assert s == pytest.approx(float(v[corpus.dictionary["road"]] @ v[corpus.dictionary[w]]), rel=1e-5)


def test_save_load_roundtrip(tmp_path, corpus):
    g = Glove(no_components=6, max_count=10, random_state=0).fit(corpus.matrix, epochs=2, no_threads=1)
    g.add_dictionary(corpus.dictionary)
    path = tmp_path / "model.npz"
    g.save(path)
    h = Glove.load(path)
    np.testing.assert_array_equal(h.word_vectors, g.word_vectors)
    np.testing.assert_array_equal(h.context_biases, g.context_biases)
    assert h.dictionary == g.dictionary and h.loss_history_ == g.loss_history_
    assert h.max_count == 10 and h.no_components == 6
    assert h.most_similar("cat", 3) == g.most_similar("cat", 3)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temp files left


def test_load_rejects_bad_files(tmp_path, corpus):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(FormatError):
        Glove.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.arange(3))
    with pytest.raises(FormatError, match="not a glovefast model"):
        Glove.load(other)
    g = Glove(no_components=4, random_state=0).fit(corpus.matrix, epochs=1, no_threads=1)
    good = tmp_path / "good.npz"
    g.save(good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(FormatError):
        Glove.load(truncated)
    with pytest.raises(NotFittedError):
        Glove().save(tmp_path / "x.npz")
