"""Moving from glove_python: its pickled files are converted only on request, never loaded by accident."""
import io
import json
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from glovefast import Corpus, Glove
from glovefast.compat import (
    UntrustedPickleError,
    check_not_pickle,
    is_pickle,
    load_glove_python,
    load_glove_python_corpus,
)
from glovefast.errors import FormatError

DATA = Path(__file__).parent / "data" / "glove_python"  # written by bicleaner-ai-glove (README.md there)


@pytest.fixture(scope="module")
def expected():
    with np.load(DATA / "expected.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["dictionary"] = json.loads((DATA / "dictionary.json").read_text(encoding="utf-8"))
    return arrays


# ------------------------------------------------------------------------------ real glove_python files
def test_real_model_converts_with_its_vectors_dictionary_and_parameters(expected):
    model = load_glove_python(DATA / "model.pkl", trust_pickle=True)
    assert isinstance(model, Glove)
    assert model.vector_mode == "word"  # glove_python's vectors are W alone
    assert model.word_vectors.dtype == np.float32
    np.testing.assert_allclose(model.word_vectors, expected["word_vectors"], rtol=1e-6)
    np.testing.assert_allclose(model.word_biases, expected["word_biases"], rtol=1e-6)
    assert model.dictionary == expected["dictionary"]
    assert "café" in model.dictionary and "résumé" in model.dictionary
    assert (model.no_components, model.learning_rate, model.max_count) == (8, 0.05, 100.0)
    assert not model.context_vectors.any()
    # glove_python's most_similar(w, number=3) returned 2 words; glovefast returns 3
    assert len(model.most_similar("dog", number=3)) == 3


def test_float64_on_request(expected):
    model = load_glove_python(DATA / "model.pkl", trust_pickle=True, dtype=np.float64)
    assert model.word_vectors.dtype == np.float64
    np.testing.assert_array_equal(model.word_vectors, expected["word_vectors"])


def test_converted_model_saves_and_loads_without_pickle(tmp_path, expected):
    model = load_glove_python(DATA / "model.pkl", trust_pickle=True)
    model.save(tmp_path / "model.npz")
    again = Glove.load(tmp_path / "model.npz")
    np.testing.assert_array_equal(again.word_vectors, model.word_vectors)
    assert again.dictionary == model.dictionary and again.vector_mode == "word"
    assert again.most_similar("fox", number=4) == model.most_similar("fox", number=4)


def test_real_corpus_converts_with_duplicates_summed(tmp_path, expected):
    corpus = load_glove_python_corpus(DATA / "corpus.pkl", trust_pickle=True)
    assert isinstance(corpus, Corpus)
    assert corpus.dictionary == expected["dictionary"]
    m = corpus.matrix.tocoo()
    got = sorted(zip(m.row.tolist(), m.col.tolist(), m.data.tolist()))
    want = sorted(zip(expected["row"].tolist(), expected["col"].tolist(), expected["data"].tolist()))
    assert [g[:2] for g in got] == [w[:2] for w in want]
    np.testing.assert_allclose([g[2] for g in got], [w[2] for w in want])
    assert not corpus.word_counts.any() and "unknown" in corpus.params["word_counts"]
    corpus.save(tmp_path / "corpus.npz")
    again = Corpus.load(tmp_path / "corpus.npz")
    assert again.matrix.nnz == corpus.matrix.nnz and again.dictionary == corpus.dictionary
    glove = Glove(no_components=4, random_state=0).fit(again.matrix, epochs=2, no_threads=1)
    assert np.isfinite(glove.word_vectors).all()


# ------------------------------------------------------------------------------ the safe loaders refuse
def test_default_loaders_recognise_pickles_and_say_how_to_convert():
    with pytest.raises(FormatError, match=r"load_glove_python\(.*trust_pickle=True\)\.save\('model.npz'\)"):
        Glove.load(DATA / "model.pkl")
    with pytest.raises(FormatError, match=r"load_glove_python_corpus\(.*trust_pickle=True\)"):
        Corpus.load(DATA / "corpus.pkl")
    with pytest.raises(FormatError) as info:
        Glove.load(DATA / "model.pkl")
    assert "allow_pickle" not in str(info.value)


def test_converters_refuse_without_trust_pickle():
    for convert, name in ((load_glove_python, "model.pkl"), (load_glove_python_corpus, "corpus.pkl")):
        for trust in (False, "yes", 1):
            with pytest.raises(UntrustedPickleError, match="runs code") as info:
                convert(DATA / name, trust_pickle=trust)
            assert isinstance(info.value, PermissionError)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # what a crafted file does: call any function on load
        return (Path.touch, (Path(self.marker),))


def test_a_crafted_pickle_runs_nothing_even_when_trusted(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.model"
    path.write_bytes(pickle.dumps({"word_vectors": _Evil(str(marker))}, protocol=4))
    with pytest.raises(FormatError, match="refusing to load pathlib"):
        load_glove_python(path, trust_pickle=True)
    with pytest.raises(FormatError, match="is a Python pickle"):
        Glove.load(path)
    assert not marker.exists()


def test_wrong_kind_of_file_is_named(tmp_path):
    with pytest.raises(FormatError, match="Corpus file; use load_glove_python_corpus"):
        load_glove_python(DATA / "corpus.pkl", trust_pickle=True)
    with pytest.raises(FormatError, match="for a model use load_glove_python"):
        load_glove_python_corpus(DATA / "model.pkl", trust_pickle=True)
    text = tmp_path / "vectors.txt"
    text.write_text("a 1 2\n")
    with pytest.raises(FormatError, match="not a pickle"):
        load_glove_python(text, trust_pickle=True)
    unfitted = tmp_path / "unfitted.model"
    unfitted.write_bytes(pickle.dumps({"no_components": 10, "word_vectors": None, "dictionary": None}, protocol=2))
    with pytest.raises(FormatError, match="not a fitted glove_python model"):
        load_glove_python(unfitted, trust_pickle=True)


def test_is_pickle_and_check_not_pickle(tmp_path):
    assert is_pickle(DATA / "model.pkl") and is_pickle(pickle.dumps([1], protocol=2))
    assert not is_pickle(b"PK\x03\x04") and not is_pickle(tmp_path / "missing")
    npz = tmp_path / "a.npz"
    np.savez(npz, a=np.arange(3))
    assert not is_pickle(npz)
    check_not_pickle(npz)  # no error for other files


# ------------------------------------------------------------------------------ files glove_python wrote elsewhere
def _glove_state(rng, n=5, d=3):
    words = ["alpha", "beta", "gamma", "delta", "epsilon"][:n]
    return {"no_components": d, "learning_rate": 0.05, "alpha": 0.75, "max_count": 10.0, "max_loss": 10.0,
            "word_vectors": rng.standard_normal((n, d)), "word_biases": rng.standard_normal(n),
            "vectors_sum_gradients": np.ones((n, d)), "biases_sum_gradients": np.ones(n),
            "dictionary": {w: i for i, w in enumerate(words)},
            "inverse_dictionary": dict(enumerate(words)), "random_state": None}


def test_a_whole_pickled_glove_object(tmp_path, monkeypatch):
    # some users pickled the model object itself; its class lives in glove.glove
    module = types.ModuleType("glove.glove")

    class Glove_:  # stands for glove.glove.Glove
        pass

    Glove_.__module__, Glove_.__qualname__, Glove_.__name__ = "glove.glove", "Glove", "Glove"
    module.Glove = Glove_
    monkeypatch.setitem(sys.modules, "glove", types.ModuleType("glove"))
    monkeypatch.setitem(sys.modules, "glove.glove", module)
    obj = Glove_()
    obj.__dict__.update(_glove_state(np.random.default_rng(0)))
    path = tmp_path / "whole.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    monkeypatch.delitem(sys.modules, "glove.glove")
    model = load_glove_python(path, trust_pickle=True)
    np.testing.assert_allclose(model.word_vectors, obj.word_vectors, rtol=1e-6)
    assert model.max_count == 10.0 and model.dictionary == obj.dictionary


def test_dictionary_smaller_than_the_vectors_keeps_the_words_vectors(tmp_path):
    # glove_python accepted a dictionary with fewer words than vectors; glovefast needs one per vector
    state = _glove_state(np.random.default_rng(1))
    state["dictionary"] = {"alpha": 0, "gamma": 2, "epsilon": 4}
    path = tmp_path / "partial.pkl"
    path.write_bytes(pickle.dumps(state, protocol=2))
    model = load_glove_python(path, trust_pickle=True)
    assert model.word_vectors.shape == (3, 3)
    for word, old in (("alpha", 0), ("gamma", 2), ("epsilon", 4)):
        np.testing.assert_allclose(model.wv[word], state["word_vectors"][old], rtol=1e-6)


class _Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 ``str`` (BINSTRING), as glove_python under Python 2 did."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        self.write(pickle.BINSTRING + len(obj).to_bytes(4, "little") + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str


def test_python2_pickle_with_utf8_words(tmp_path):
    rng = np.random.default_rng(2)
    words = ["café", "naïve", "plain"]
    state = {k.encode("ascii"): v for k, v in _glove_state(rng, n=3).items()}
    state[b"dictionary"] = {w.encode("utf-8"): i for i, w in enumerate(words)}
    del state[b"inverse_dictionary"]
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(state)
    path = tmp_path / "py2.model"
    path.write_bytes(buf.getvalue())
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(buf.getvalue())  # what a plain Python 3 load does with it
    model = load_glove_python(path, trust_pickle=True)
    assert model.dictionary == {w: i for i, w in enumerate(words)}
    np.testing.assert_allclose(model.word_vectors, state[b"word_vectors"], rtol=1e-6)


def test_corpus_pickled_by_an_old_scipy(tmp_path, monkeypatch):
    # scipy < 1.13 kept row and col attributes; newer scipy cannot unpickle those itself
    module = types.ModuleType("scipy.sparse.coo")

    class coo_matrix:  # noqa: N801  (the old class name)
        pass

    coo_matrix.__module__, coo_matrix.__qualname__ = "scipy.sparse.coo", "coo_matrix"
    module.coo_matrix = coo_matrix
    monkeypatch.setitem(sys.modules, "scipy.sparse.coo", module)
    old = coo_matrix()
    old.__dict__.update({"row": np.array([0, 0, 1, 0], np.int32), "col": np.array([1, 2, 2, 1], np.int32),
                         "data": np.array([1.0, 0.5, 2.0, 1.0]), "_shape": (3, 3), "maxprint": 50})
    path = tmp_path / "old_scipy.pkl"
    path.write_bytes(pickle.dumps(({"a": 0, "b": 1, "c": 2}, old), protocol=2))
    monkeypatch.delitem(sys.modules, "scipy.sparse.coo")
    corpus = load_glove_python_corpus(path, trust_pickle=True)
    dense = corpus.matrix.toarray()
    assert dense[0, 1] == 2.0 and dense[0, 2] == 0.5 and dense[1, 2] == 2.0 and corpus.matrix.nnz == 3


def test_corpus_matrix_that_does_not_fit_its_dictionary(tmp_path):
    m = sp.coo_matrix((np.ones(1), (np.array([0]), np.array([5]))), shape=(6, 6))
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(({"a": 0, "b": 1}, m), protocol=4))
    with pytest.raises(FormatError, match="does not fit a dictionary of 2 words"):
        load_glove_python_corpus(path, trust_pickle=True)


# ------------------------------------------------------------------------------ glovefast convert --from-glove-python
def _cli(*argv):
    import subprocess

    return subprocess.run([sys.executable, "-m", "glovefast", *map(str, argv)], capture_output=True, text=True,
                          timeout=120)


def test_cli_converts_a_model_to_vectors_and_a_corpus_to_counts(tmp_path, expected):
    out = tmp_path / "vectors.txt"
    proc = _cli("convert", "--from-glove-python", DATA / "model.pkl", out)
    assert proc.returncode == 0, proc.stderr
    from glovefast import WordVectors

    wv = WordVectors.load_word2vec_format(out)
    np.testing.assert_allclose(wv["dog"], expected["word_vectors"][expected["dictionary"]["dog"]], rtol=1e-6)
    counts = tmp_path / "counts.npz"
    proc = _cli("convert", "--from-glove-python", DATA / "corpus.pkl", counts)
    assert proc.returncode == 0, proc.stderr
    assert "glovefast train --matrix" in proc.stderr
    proc = _cli("train", "--matrix", counts, "-o", tmp_path / "trained.txt", "--dim", 4, "--epochs", 2, "-q")
    assert proc.returncode == 0, proc.stderr


def test_cli_never_unpickles_without_the_flag(tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.model"
    evil.write_bytes(pickle.dumps({"word_vectors": _Evil(str(marker))}, protocol=4))
    for argv in (("similar", evil, "dog"), ("convert", evil, tmp_path / "out.txt"), ("evaluate", evil)):
        proc = _cli(*argv)
        assert proc.returncode == 2 and "convert --from-glove-python" in proc.stderr, proc.stderr
    proc = _cli("convert", "--from-glove-python", evil, tmp_path / "out.txt")
    assert proc.returncode == 2 and "refusing to load pathlib" in proc.stderr
    assert not marker.exists()
    proc = _cli("convert", "--from-glove-python", DATA / "corpus.pkl", tmp_path / "counts.txt")
    assert proc.returncode == 2 and "write it to a .npz" in proc.stderr
