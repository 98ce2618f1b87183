"""The model base and the parameter spec: what every embedding model gets from EmbeddingModel
(parameters, repr, queries, files, the kind registry, init=), shown on Glove and on a second
model written only against the base."""
import inspect

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from glovefast import Glove, WordVectors, load_vectors
from glovefast.cli import build_parser
from glovefast.errors import FormatError, InvalidParameterError, NotFittedError
from glovefast.io import kinds
from glovefast.io.bundle import load_npz_bundle
from glovefast.models.base import EmbeddingModel, load_pretrained
from glovefast.models.params import Param, ParamSpec

from conftest import CARS, PETS


class LogSVD(EmbeddingModel):
    """A second model built on the base alone: the truncated SVD of log(1 + X) (a classic count
    model), so the base's contract is exercised by a model that is not GloVe."""

    NPZ_KIND = "tests.LogSVD"
    PARAMS = ParamSpec(Param("no_components", "int", 4, "vector dimension", minimum=1, flag="dim"),
                       Param("scale", "float", 0.5, "power of the singular values", minimum=0.0))
    DIMENSION = "no_components"

    def __init__(self, no_components=4, scale=0.5):
        super().__init__(no_components=no_components, scale=scale)

    def fit(self, matrix, dictionary=None):
        p = self._check_params()
        m = sp.coo_matrix(matrix, dtype=np.float64)
        sym = (m + m.T - sp.diags(m.diagonal())).tocsr()
        sym.data = np.log1p(sym.data)
        u, s, _ = spla.svds(sym, k=p["no_components"], random_state=0)
        self.word_vectors = np.ascontiguousarray((u * s ** p["scale"]).astype(np.float32))
        self.loss_history_ = [float(s.sum())]
        if dictionary is not None:
            self.add_dictionary(dictionary)
        return self


def test_glove_spec_is_its_init_signature():
    signature = inspect.signature(Glove.__init__).parameters
    assert list(signature)[1:] == [p.name for p in Glove.PARAMS]
    assert {name: par.default for name, par in signature.items() if name != "self"} == Glove.PARAMS.defaults()


def test_params_repr_and_validation():
    g = Glove(no_components=50, max_count=10)
    assert repr(g) == "Glove(no_components=50, max_count=10; not fitted)"
    assert repr(Glove()) == "Glove(; not fitted)"
    assert g.get_params()["max_count"] == 10 and g.set_params(alpha=0.5) is g and g.alpha == 0.5
    with pytest.raises(InvalidParameterError, match="no parameter 'bogus'"):
        g.set_params(bogus=1)
    for bad, match in ((dict(no_components=0), "no_components"), (dict(learning_rate=0.0), "learning_rate"),
                       (dict(dtype="int8"), "float32 or float64"), (dict(vector_mode="both"), "vector_mode"),
                       (dict(mittens=-1.0), "mittens")):
        with pytest.raises(InvalidParameterError, match=match):
            Glove(**bad).fit(np.eye(3), epochs=1)


def test_saved_params_are_the_spec(topic_model, tmp_path):
    topic_model.save(tmp_path / "m.npz")
    _, meta = load_npz_bundle(tmp_path / "m.npz", Glove.NPZ_KIND)
    assert list(meta["params"]) == [p.name for p in Glove.PARAMS if p.kind != "seed"]
    assert repr(Glove.load(tmp_path / "m.npz")).endswith("; 12 words)")


def test_cli_flags_come_from_the_spec():
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]
    flags = {opt for action in train._actions for opt in action.option_strings}
    assert {f"--{p.flag}" for p in Glove.PARAMS if p.flag} <= flags
    help_text = train.format_help()
    for p in Glove.PARAMS:
        if p.flag:
            assert p.help.split(";")[0][:30] in " ".join(help_text.split())
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "c.txt", "-o", "v.txt", "--x-max", "0"])


def test_a_second_model_gets_files_queries_and_init_from_the_base(topic_corpus, topic_model, tmp_path):
    assert kinds.class_for("tests.LogSVD") is LogSVD and kinds.class_for(Glove.NPZ_KIND) is Glove
    model = LogSVD(no_components=3).fit(topic_corpus.matrix, topic_corpus.dictionary)
    assert repr(model) == "LogSVD(no_components=3; 12 words)"
    near = [w for w, _ in model.most_similar("cat", number=4)]
    assert set(near) <= set(PETS) | set(CARS) and "cat" not in near
    model.save(tmp_path / "svd.npz")
    loaded = LogSVD.load(tmp_path / "svd.npz")
    np.testing.assert_array_equal(loaded.word_vectors, model.word_vectors)
    assert loaded.dictionary == model.dictionary and loaded.get_params() == model.get_params()
    # load_vectors finds the class from the file's kind
    wv = load_vectors(tmp_path / "svd.npz")
    assert isinstance(wv, WordVectors) and wv.index_to_key == model.wv.index_to_key
    # init= reads it as a model, and starts GloVe from its vectors
    assert isinstance(load_pretrained(tmp_path / "svd.npz"), LogSVD)
    tuned = Glove(no_components=3, random_state=0).fit(topic_corpus.matrix, epochs=1, no_threads=1,
                                                         init=tmp_path / "svd.npz",
                                                         dictionary=topic_corpus.dictionary)
    assert tuned.n_initialized_ == 12
    with pytest.raises(FormatError, match="holds a tests.LogSVD, not a glovefast.Glove"):
        Glove.load(tmp_path / "svd.npz")
    with pytest.raises(NotFittedError):
        LogSVD().save(tmp_path / "nothing.npz")
