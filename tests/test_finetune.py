"""Fine-tuning (init=, mittens) and resuming (resume=True, training state): kernels, API, errors."""
import logging
import os

import numpy as np
import pytest
import scipy.sparse as sp

from glovefast import Corpus, Glove
from glovefast._kernels.glove import TRIPLE32, TRIPLE64, _select_f32_kernel, build_triples, train_blocks
from glovefast.errors import (
    DimensionMismatchError,
    InvalidParameterError,
    NoDictionaryError,
    ResumeError,
)
from glovefast._kernels.platform import padded_dim as _padded
from glovefast.models.glove.model import weight_column as _weight_column
from glovefast.vectors.word_vectors import WordVectors

from conftest import CARS, PETS, topic_docs


@pytest.fixture(scope="session")
def corpus(topic_corpus):
    return topic_corpus


@pytest.fixture(scope="module")
def pretrained(corpus):
    """Vectors of another corpus over the same words, with a different topic split."""
    other = Corpus().fit(topic_docs([PETS[:3] + CARS[:3], PETS[3:] + CARS[3:]], seed=1), window=5)
    g = Glove(no_components=8, max_count=10, random_state=0).fit(other.matrix, epochs=30, no_threads=1,
                                                                  dictionary=other.dictionary)
    return g


# ------------------------------------------------------------------ the kernel against finite differences
def _kernels():
    out = [(np.float64, None)]
    out.append((np.float32, False))
    if _select_f32_kernel(True):
        out.append((np.float32, True))
    _select_f32_kernel(True)
    return out


def _one_update(dtype, avx2, sum_mode, i, j, lw, lc, seed=0, d=11, lr=0.01):
    """Random rows, Adagrad sums at 1 (so a step is exactly lr * gradient), one update (i, j).
    Returns the rows before and after, the targets and the triple."""
    rng = np.random.default_rng(seed)
    n, dp = 3, _padded(d)
    stride = 2 * dp + 8
    rows = []
    for _ in range(2):
        r = np.zeros((n, stride), dtype=dtype)
        r[:, :d] = rng.normal(0, 0.5, (n, d))
        r[:, dp:2 * dp] = 1.0
        r[:, 2 * dp] = rng.normal(0, 0.5, n)
        r[:, 2 * dp + 1] = 1.0
        rows.append(r)
    W, C = rows
    R = np.zeros((n, dp), dtype=dtype)
    R[:, :d] = rng.normal(0, 0.5, (n, d))
    W[i, _weight_column(dp)] = lw
    C[j, _weight_column(dp)] = lc
    triples = np.zeros(1, dtype=TRIPLE64 if dtype == np.float64 else TRIPLE32)
    triples[0] = (i, j, 0.7, 0.6)
    before = (W.copy(), C.copy())
    if avx2 is not None:
        _select_f32_kernel(avx2)
    try:
        train_blocks(W, C, triples.view(np.uint8), np.zeros(1, dtype=np.int64), 0, 1, 1, 1, dp, lr, 1e6, 1,
                           targets=R, sum_mode=sum_mode)
    finally:
        _select_f32_kernel(True)
    return before, (W, C), R, triples[0], lr, d


def _objective(w, c, bw, bc, wi_partner, cj_partner, ri, rj, lw, lc, logx, fx, sum_mode):
    """0.5 f diff^2 + lw ||w_i (+ w~_i) - r_i||^2 + lc ||(w_j +) w~_j - r_j||^2, in float64."""
    diff = w @ c + bw + bc - logx
    ew = w + (wi_partner if sum_mode else 0) - ri
    ec = c + (cj_partner if sum_mode else 0) - rj
    return 0.5 * fx * diff * diff + lw * ew @ ew + lc * ec @ ec


def _numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for k in range(len(x)):
        e = np.zeros_like(x)
        e[k] = h
        g[k] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("dtype,avx2", _kernels())
@pytest.mark.parametrize("sum_mode", [True, False])
def test_mittens_gradient_matches_finite_differences(dtype, avx2, sum_mode):
    i, j, lw, lc = 0, 2, 0.3, 0.2 if sum_mode else 0.0
    (W0, C0), (W1, C1), R, t, lr, d = _one_update(dtype, avx2, sum_mode, i, j, lw, lc)
    dp = _padded(d)
    f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    w, c = f64(W0[i, :d]), f64(C0[j, :d])
    bw, bc = float(W0[i, 2 * dp]), float(C0[j, 2 * dp])
    ci, wj = f64(C0[i, :d]), f64(W0[j, :d])
    ri, rj = f64(R[i, :d]), f64(R[j, :d])
    args = dict(lw=lw, lc=lc, logx=float(t["logx"]), fx=float(t["fx"]), sum_mode=sum_mode)
    grad_w = _numeric_grad(lambda x: _objective(x, c, bw, bc, ci, wj, ri, rj, **args), w)
    grad_c = _numeric_grad(lambda x: _objective(w, x, bw, bc, ci, wj, ri, rj, **args), c)
    # Adagrad sums start at 1: the step is exactly lr * gradient
    step_w = (w - f64(W1[i, :d])) / lr
    step_c = (c - f64(C1[j, :d])) / lr
    tol = 1e-7 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(step_w, grad_w, rtol=tol, atol=tol)
    np.testing.assert_allclose(step_c, grad_c, rtol=tol, atol=tol)
    # the penalty really contributes (the test would pass trivially if it were zero)
    assert np.abs(grad_w - _numeric_grad(lambda x: _objective(x, c, bw, bc, ci, wj, ri, rj, **dict(args, lw=0)),
                                         w)).max() > 0.01
    # biases are not penalised; the rows the update does not move stay as they were
    assert np.array_equal(W1[1:], W0[1:]) and np.array_equal(C1[:j], C0[:j])


@pytest.mark.parametrize("dtype,avx2", _kernels())
def test_mittens_gradient_when_word_and_context_row_are_the_same_word(dtype, avx2):
    """Update (i, i): w~_i is the row being updated, read before it is written."""
    i, lam = 1, 0.4
    (W0, C0), (W1, C1), R, t, lr, d = _one_update(dtype, avx2, True, i, i, lam, lam, seed=3)
    dp = _padded(d)
    f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    w, c, r = f64(W0[i, :d]), f64(C0[i, :d]), f64(R[i, :d])
    bw, bc = float(W0[i, 2 * dp]), float(C0[i, 2 * dp])

    def objective(x, y):  # with equal weights both partial derivatives come from one function
        diff = x @ y + bw + bc - float(t["logx"])
        e = x + y - r
        return 0.5 * float(t["fx"]) * diff * diff + lam * e @ e

    tol = 1e-7 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose((w - f64(W1[i, :d])) / lr, _numeric_grad(lambda x: objective(x, c), w), rtol=tol,
                               atol=tol)
    np.testing.assert_allclose((c - f64(C1[i, :d])) / lr, _numeric_grad(lambda y: objective(w, y), c), rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("dtype,avx2", _kernels())
def test_rows_without_weight_take_the_plain_update(dtype, avx2):
    plain = _one_update(dtype, avx2, True, 0, 2, 0.0, 0.0, seed=5)
    (W0, C0), (W1, C1), R, t, lr, d = plain
    if avx2 is not None:
        _select_f32_kernel(avx2)
    try:
        W, C = W0.copy(), C0.copy()
        triples = np.array([t], dtype=t.dtype)
        train_blocks(W, C, triples.view(np.uint8), np.zeros(1, dtype=np.int64), 0, 1, 1, 1, _padded(d), lr,
                           1e6, 1)  # no targets at all
    finally:
        _select_f32_kernel(True)
    assert np.array_equal(W, W1) and np.array_equal(C, C1)


# ------------------------------------------------------------------ init=
def test_init_from_vectors_sets_w_and_context_to_half(corpus, pretrained):
    wv = pretrained.wv
    missing = "tail"
    keep = [w for w in wv.index_to_key if w != missing]
    source = WordVectors(keep, np.stack([wv[w] for w in keep]))
    plain = Glove(no_components=8, random_state=4).fit(corpus.matrix, epochs=0, no_threads=1)
    g = Glove(no_components=8, random_state=4).fit(corpus.matrix, epochs=0, no_threads=1, init=source,
                                                   dictionary=corpus.dictionary)
    assert g.n_initialized_ == len(keep)
    for word in keep:
        i = corpus.dictionary[word]
        np.testing.assert_array_equal(g.word_vectors[i], source[word])  # W + W~ = r/2 + r/2 = r
        np.testing.assert_array_equal(g.context_vectors[i], source[word] / 2)
        assert g.word_biases[i] == 0 and g.context_biases[i] == 0
    i = corpus.dictionary[missing]  # a word without a pretrained vector starts as in a plain run
    np.testing.assert_array_equal(g.word_vectors[i], plain.word_vectors[i])
    assert g.dictionary == corpus.dictionary and g.wv.most_similar("cat", topn=1)


def test_init_word_mode_uses_the_vector_for_both(corpus, pretrained):
    g = Glove(no_components=8, random_state=4, vector_mode="word").fit(
        corpus.matrix, epochs=0, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    i = corpus.dictionary["cat"]
    np.testing.assert_array_equal(g.word_vectors[i], pretrained.wv["cat"])
    np.testing.assert_array_equal(g.context_vectors[i], pretrained.wv["cat"])


def test_init_from_a_glove_copies_w_context_and_biases(corpus, pretrained, tmp_path):
    g = Glove(no_components=8, random_state=4).fit(corpus.matrix, epochs=0, no_threads=1, init=pretrained,
                                                   dictionary=corpus.dictionary)
    for word, k in pretrained.dictionary.items():
        i = corpus.dictionary[word]
        np.testing.assert_array_equal(g.word_vectors[i], pretrained.word_vectors[k])
        np.testing.assert_array_equal(g.context_vectors[i], pretrained.context_vectors[k])
        assert g.word_biases[i] == pretrained.word_biases[k] and g.context_biases[i] == pretrained.context_biases[k]
    # a saved model given as a path is read as a Glove: the biases come along
    path = tmp_path / "model.npz"
    pretrained.save(path)
    h = Glove(no_components=8, random_state=4).fit(corpus.matrix, epochs=0, no_threads=1, init=str(path),
                                                   dictionary=corpus.dictionary)
    np.testing.assert_array_equal(h.context_biases, g.context_biases)
    np.testing.assert_allclose(h.word_vectors, g.word_vectors, rtol=1e-6, atol=1e-7)


def test_init_from_a_vectors_file(corpus, pretrained, tmp_path, caplog):
    path = tmp_path / "vectors.txt"
    pretrained.wv.save_word2vec_format(path)
    with caplog.at_level(logging.INFO, logger="glovefast.models.glove.model"):
        g = Glove(no_components=8, random_state=4).fit(corpus.matrix, epochs=0, no_threads=1, init=path,
                                                       dictionary=corpus.dictionary)
    assert g.n_initialized_ == len(corpus.dictionary)
    assert "initialised 12 of 12 words" in caplog.text
    np.testing.assert_allclose(g.word_vectors[corpus.dictionary["cat"]], pretrained.wv["cat"], rtol=1e-5)


def test_init_errors(corpus, pretrained):
    with pytest.raises(NoDictionaryError, match="dictionary="):
        Glove(no_components=8).fit(corpus.matrix, epochs=1, init=pretrained.wv)
    with pytest.raises(DimensionMismatchError, match="dimension 8 .*no_components=5") as info:
        Glove(no_components=5).fit(corpus.matrix, epochs=1, init=pretrained.wv, dictionary=corpus.dictionary)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidParameterError, match="init must be"):
        Glove(no_components=8).fit(corpus.matrix, epochs=1, init=[1, 2], dictionary=corpus.dictionary)
    with pytest.raises(InvalidParameterError, match="mittens=0.5 .*init="):
        Glove(no_components=8, mittens=0.5).fit(corpus.matrix, epochs=1)
    with pytest.raises(InvalidParameterError, match="mittens"):
        Glove(no_components=8, mittens=-1.0).fit(corpus.matrix, epochs=1)


def test_no_matching_word_is_logged_and_trains_as_plain(corpus, caplog):
    foreign = WordVectors(["zebra", "yak"], np.ones((2, 8), dtype=np.float32))
    plain = Glove(no_components=8, random_state=2).fit(corpus.matrix, epochs=3, no_threads=1)
    with caplog.at_level(logging.WARNING, logger="glovefast.models.glove.model"):
        g = Glove(no_components=8, random_state=2, mittens=5.0).fit(corpus.matrix, epochs=3, no_threads=1,
                                                                    init=foreign, dictionary=corpus.dictionary)
    assert "no word of the dictionary" in caplog.text and g.n_initialized_ == 0
    # the kernel runs with mittens targets, but no row has a weight: the plain update, bit for bit
    np.testing.assert_array_equal(g.word_vectors, plain.word_vectors)


# ------------------------------------------------------------------ mittens=
def _distance(g, source, dictionary):
    ids = [dictionary[w] for w in source.index_to_key]
    return np.linalg.norm(g.word_vectors[ids] - source.vectors, axis=1).mean()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_mu_keeps_vectors_near_pretrained_and_zero_lets_them_move(corpus, pretrained, dtype):
    source = pretrained.wv
    scale = np.linalg.norm(source.vectors, axis=1).mean()
    moved = {}
    for mu in (0.0, 0.1, 100.0):
        g = Glove(no_components=8, max_count=10, random_state=1, mittens=mu, dtype=dtype).fit(
            corpus.matrix, epochs=40, no_threads=1, init=source, dictionary=corpus.dictionary)
        moved[mu] = _distance(g, source, corpus.dictionary)
        assert np.isfinite(g.loss_history_[-1])
    assert moved[0.0] > 0.3 * scale  # the new corpus's topics pull the vectors away...
    assert moved[100.0] < 0.02 * scale  # ...unless mittens holds them
    assert moved[100.0] < moved[0.1] < moved[0.0]


def test_mu_zero_fits_the_new_corpus_as_plain_training_does(corpus, pretrained):
    """Starting from pretrained vectors without the term, training fits the new counts as well as a
    random start does (in 8 dimensions 12 words have many exact fits, so not necessarily the same)."""
    plain = Glove(no_components=8, max_count=10, random_state=1).fit(corpus.matrix, epochs=60, no_threads=1)
    tuned = Glove(no_components=8, max_count=10, random_state=1, mittens=0.0).fit(
        corpus.matrix, epochs=60, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    assert tuned.loss_history_[-1] < 1.5 * plain.loss_history_[-1] + 1e-3
    assert tuned.loss_history_[-1] < tuned.loss_history_[0] / 50


def test_mittens_run_is_reproducible_and_threads_work(corpus, pretrained):
    make = lambda: Glove(no_components=8, random_state=3, mittens=1.0)  # noqa: E731
    a = make().fit(corpus.matrix, epochs=5, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    b = make().fit(corpus.matrix, epochs=5, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    np.testing.assert_array_equal(a.word_vectors, b.word_vectors)
    c = make().fit(corpus.matrix, epochs=5, no_threads=2, init=pretrained.wv, dictionary=corpus.dictionary)
    assert np.isfinite(c.word_vectors).all()


# ------------------------------------------------------------------ resume=
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resume_in_process_equals_one_run(corpus, dtype):
    whole = Glove(no_components=12, random_state=7, dtype=dtype).fit(corpus.matrix, epochs=10, no_threads=1)
    parts = Glove(no_components=12, random_state=7, dtype=dtype).fit(corpus.matrix, epochs=4, no_threads=1)
    parts.fit(corpus.matrix, epochs=6, no_threads=1, resume=True)
    np.testing.assert_array_equal(parts.word_vectors, whole.word_vectors)
    np.testing.assert_array_equal(parts.context_biases, whole.context_biases)
    assert parts.loss_history_ == whole.loss_history_ and parts.epochs_trained_ == 10


def test_resume_with_mittens_equals_one_run(corpus, pretrained):
    make = lambda: Glove(no_components=8, random_state=7, mittens=0.5)  # noqa: E731
    whole = make().fit(corpus.matrix, epochs=6, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    parts = make().fit(corpus.matrix, epochs=3, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    parts.fit(corpus.matrix, epochs=3, no_threads=1, resume=True)
    np.testing.assert_array_equal(parts.word_vectors, whole.word_vectors)
    assert parts.n_initialized_ == whole.n_initialized_


def test_resume_errors(corpus):
    with pytest.raises(ResumeError, match="no training state"):
        Glove(no_components=8).fit(corpus.matrix, epochs=1, resume=True)
    g = Glove(no_components=8, random_state=0).fit(corpus.matrix, epochs=1, no_threads=1)
    small = Corpus().fit(topic_docs([PETS]), window=5)
    with pytest.raises(ResumeError, match="12-word matrix and this one has 6 words") as info:
        g.fit(small.matrix, epochs=1, resume=True)
    assert isinstance(info.value, ValueError)
    g.no_components = 10
    with pytest.raises(ResumeError, match="dimension 8 but no_components is now 10"):
        g.fit(corpus.matrix, epochs=1, resume=True)
    g.no_components = 8
    g.dtype = np.float64
    with pytest.raises(ResumeError, match="float32"):
        g.fit(corpus.matrix, epochs=1, resume=True)
    g.dtype = np.float32
    with pytest.raises(InvalidParameterError, match="give one of them"):
        g.fit(corpus.matrix, epochs=1, resume=True, init=WordVectors(["cat"], np.ones((1, 8))))
    g.fit(corpus.matrix, epochs=1, resume=True)  # the failed attempts left the state usable
    assert g.epochs_trained_ == 2
    g.discard_training_state()
    assert not g.has_training_state
    with pytest.raises(ResumeError):
        g.fit(corpus.matrix, epochs=1, resume=True)


def test_resume_on_another_matrix_of_the_same_size_warns(corpus, caplog):
    g = Glove(no_components=8, random_state=0).fit(corpus.matrix, epochs=1, no_threads=1)
    m = corpus.matrix
    keep = np.arange(m.nnz) != 0  # one entry fewer, same vocabulary
    other = sp.coo_matrix((m.data[keep], (m.row[keep], m.col[keep])), shape=m.shape)
    with caplog.at_level(logging.WARNING, logger="glovefast.models.glove.model"):
        g.fit(other, epochs=1, no_threads=1, resume=True)
    assert "different matrix" in caplog.text and g.epochs_trained_ == 2


# ------------------------------------------------------------------ training state on disk
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_five_epochs_save_load_five_equals_ten(corpus, tmp_path, dtype):
    whole = Glove(no_components=12, random_state=11, dtype=dtype).fit(corpus.matrix, epochs=10, no_threads=1)
    first = Glove(no_components=12, random_state=11, dtype=dtype).fit(corpus.matrix, epochs=5, no_threads=1,
                                                                       dictionary=corpus.dictionary)
    path = tmp_path / "state.npz"
    first.save(path, training_state=True)
    resumed = Glove.load(path)
    assert resumed.has_training_state and resumed.epochs_trained_ == 5
    resumed.fit(corpus.matrix, epochs=5, no_threads=1, resume=True)
    for name in ("word_vectors", "context_vectors", "word_biases", "context_biases"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(whole, name))
    assert resumed.loss_history_ == whole.loss_history_ and resumed.epochs_trained_ == 10


def test_saved_fine_tuning_run_resumes_with_its_targets(corpus, pretrained, tmp_path):
    make = lambda: Glove(no_components=8, random_state=5, mittens=2.0, vector_mode="word")  # noqa: E731
    whole = make().fit(corpus.matrix, epochs=6, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    first = make().fit(corpus.matrix, epochs=2, no_threads=1, init=pretrained.wv, dictionary=corpus.dictionary)
    first.save(tmp_path / "m.npz", training_state=True)
    resumed = Glove.load(tmp_path / "m.npz")
    assert resumed.mittens == 2.0 and resumed.vector_mode == "word"
    resumed.fit(corpus.matrix, epochs=4, no_threads=1, resume=True)
    np.testing.assert_array_equal(resumed.word_vectors, whole.word_vectors)


def test_save_without_state(corpus, tmp_path):
    g = Glove(no_components=8, random_state=0).fit(corpus.matrix, epochs=2, no_threads=1)
    g.save(tmp_path / "plain.npz")
    loaded = Glove.load(tmp_path / "plain.npz")
    assert not loaded.has_training_state
    with pytest.raises(ResumeError, match="training_state=True"):
        loaded.fit(corpus.matrix, epochs=1, resume=True)
    with pytest.raises(ResumeError, match="no training state to save"):
        loaded.save(tmp_path / "again.npz", training_state=True)
    assert (tmp_path / "plain.npz").stat().st_size < 0.6 * _saved_size(g, tmp_path)


def _saved_size(g, tmp_path):
    g.save(tmp_path / "with_state.npz", training_state=True)
    return (tmp_path / "with_state.npz").stat().st_size


def test_fine_tuning_and_resume_with_triples_on_disk(tmp_path, caplog):
    """Mittens weights counted from memory-mapped triples, and a resumed run, as in RAM."""
    from test_out_of_core import random_upper

    big = random_upper(3000, 700_000, seed=2)  # 1.4M updates: 22 MB of triples, over a 16M budget
    words = {f"w{i}": i for i in range(3000)}
    source = WordVectors([f"w{i}" for i in range(0, 3000, 2)], np.random.default_rng(0).normal(size=(1500, 8)))
    make = lambda: Glove(no_components=8, max_count=10, random_state=3, mittens=0.5)  # noqa: E731
    ref = make().fit(big, epochs=2, no_threads=1, init=source, dictionary=words)
    with caplog.at_level(logging.INFO, logger="glovefast.models.glove.model"):
        got = make().fit(big, epochs=1, no_threads=1, init=source, dictionary=words, memory="16M", tmp_dir=tmp_path)
    assert "shuffled on disk" in caplog.text
    got.fit(big, epochs=1, no_threads=1, resume=True, memory="16M", tmp_dir=tmp_path)
    np.testing.assert_array_equal(got.word_vectors, ref.word_vectors)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("symmetric", [True, False])
def test_updates_per_row_count_the_training_updates(symmetric):
    """The mittens weights' denominators: how many updates of an epoch move each W and W~ row."""
    from glovefast.models.glove.model import _updates_per_row
    from glovefast.models.glove.triples import open_source
    from test_out_of_core import random_upper

    m = random_upper(200, 3000, seed=4)
    source = open_source(m).load(symmetric)
    word, context = _updates_per_row(source, 200)
    rows, cols, counts = source.arrays()
    triples = build_triples(rows, cols, counts, symmetric, 10.0, 0.75, 1, False, 1)
    np.testing.assert_array_equal(word, np.bincount(triples["i"], minlength=200))
    np.testing.assert_array_equal(context, np.bincount(triples["j"], minlength=200))


@pytest.mark.parametrize("name", ["test", "show_config", "default_rng", ["PCG64"], None])
def test_a_forged_bit_generator_name_is_a_format_error(corpus, tmp_path, monkeypatch, name):
    """The state names a numpy.random attribute: only numpy's bit generators may be looked up
    (``"test"`` made Glove.load run numpy's test suite)."""
    import json as _json

    from glovefast import cli
    from glovefast.io import bundle
    from glovefast.errors import FormatError

    g = Glove(no_components=4, random_state=0).fit(corpus.matrix, epochs=1, no_threads=1,
                                                   dictionary=corpus.dictionary)
    g.save(tmp_path / "m.npz", training_state=True)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = _json.loads(arrays.pop(bundle.META_MEMBER).tobytes().decode("utf-8"))["meta"]
    rng = _json.loads(meta["training_state"]["rng"])
    rng["bit_generator"] = name
    meta["training_state"]["rng"] = _json.dumps(rng)
    bundle.save_npz_bundle(tmp_path / "forged.npz", Glove.NPZ_KIND, arrays, meta)  # signed: the digest passes
    called = []
    monkeypatch.setattr(np.random, "test", lambda *a, **k: called.append(a), raising=False)
    with pytest.raises(FormatError, match="not one of numpy's"):
        Glove.load(tmp_path / "forged.npz")
    assert cli.main(["similar", str(tmp_path / "forged.npz"), "pet"]) == 2
    assert called == []
