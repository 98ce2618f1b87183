"""The epoch loop (glovefast.models.training) and fit(..., callback=...): called once per completed epoch
with the model as fit would leave it, early stop, exceptions that propagate after cleanup with a
model that matches its history, out of core and with resume."""
import logging
import os

import numpy as np
import pytest
import scipy.sparse as sp

from glovefast import Glove
from glovefast.errors import InvalidParameterError, TrainingDivergedError
from glovefast.models.rollback import Rollback
from glovefast.models.training import EpochInfo, run_epochs


def upper(n_words, nnz, seed):
    """A canonical upper-triangle COO with Zipf-like counts (as Corpus.matrix)."""
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n_words, size=(2, 2 * nnz))
    keys = np.unique(np.minimum(i, j).astype(np.int64) * n_words + np.maximum(i, j))[:nnz]
    m = sp.coo_matrix((1.0 / rng.uniform(0.01, 1.0, size=len(keys)),
                       ((keys // n_words).astype(np.int32), (keys % n_words).astype(np.int32))),
                      shape=(n_words, n_words))
    m.has_canonical_format = True
    return m


@pytest.fixture(scope="module")
def small():
    return upper(200, 3000, seed=1)


@pytest.fixture(scope="module")
def big():
    # ~1.2M updates = 19 MB of triples: more than a 16 MB budget, so they are shuffled on disk
    return upper(3000, 620000, seed=2)


WORDS = {f"w{i}": i for i in range(200)}


def model(**kwargs):
    return Glove(no_components=8, random_state=3, **kwargs)


def same(a, b):
    for name in ("word_vectors", "context_vectors", "word_biases", "context_biases"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.loss_history_ == b.loss_history_


def test_called_once_per_epoch_with_the_model_of_that_epoch(small):
    reference = [model().fit(small, epochs=k, no_threads=1) for k in (1, 2, 3)]
    seen = []

    def callback(info):
        g = info.model
        seen.append(info)
        assert g.epochs_trained_ == info.epoch and len(g.loss_history_) == info.epoch
        same(g, reference[info.epoch - 1])  # the vectors of this very epoch, not the previous fit's
        assert g.most_similar("w3", number=2)  # the dictionary is attached already
        assert g.has_training_state

    g = model()
    assert g.fit(small, epochs=3, no_threads=1, dictionary=WORDS, callback=callback) is g
    assert [info.epoch for info in seen] == [1, 2, 3] and {info.epochs for info in seen} == {3}
    assert [info.loss for info in seen] == g.loss_history_
    assert [info.seconds for info in seen] == g.epoch_seconds_
    assert {info.updates for info in seen} == {g.n_updates_per_epoch_}
    assert all(info.model is g for info in seen)
    assert seen[0].updates_per_second == seen[0].updates / seen[0].seconds
    assert str(seen[2]).startswith(f"epoch 3/3: loss {g.loss_history_[2]:.6f}, ")
    same(g, reference[2])


def test_a_callback_that_reads_nothing_changes_nothing(small):
    calls = []
    g = model().fit(small, epochs=3, no_threads=1, callback=lambda info: calls.append(info.epoch))
    same(g, model().fit(small, epochs=3, no_threads=1))
    assert calls == [1, 2, 3]


@pytest.mark.parametrize("stop", [True, 1, "yes"])
def test_a_true_return_value_stops_after_that_epoch(small, stop, caplog):
    with caplog.at_level(logging.INFO, logger="glovefast.models.training"):
        g = model().fit(small, epochs=10, no_threads=1, callback=lambda info: stop if info.epoch == 2 else None)
    assert "stopped by the callback after epoch 2 of 10" in caplog.text
    same(g, model().fit(small, epochs=2, no_threads=1))
    assert g.epochs_trained_ == 2 and not g.interrupted_
    g.fit(small, epochs=3, no_threads=1, resume=True)  # and the run continues as if it had not stopped
    same(g, model().fit(small, epochs=5, no_threads=1))


@pytest.mark.parametrize("where", ["ram", "disk"])
def test_an_exception_propagates_with_the_epoch_kept_and_nothing_left(big, tmp_path, where):
    memory = "16M" if where == "disk" else None

    class Stop(Exception):
        pass

    def callback(info):
        if info.epoch == 2:
            raise Stop("from the callback")

    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    g = model()
    with pytest.raises(Stop, match="from the callback"):
        g.fit(big, epochs=4, no_threads=1, memory=memory, tmp_dir=tmp_path, callback=callback)
    assert os.listdir(tmp_path) == []
    if fds is not None:
        assert len(os.listdir("/proc/self/fd")) == fds  # the triples file and the checkpoint are closed
    assert g.epochs_trained_ == 2 and len(g.loss_history_) == 2 and not g.interrupted_
    same(g, model().fit(big, epochs=2, no_threads=1))
    g.fit(big, epochs=1, no_threads=1, memory=memory, tmp_dir=tmp_path, resume=True)
    same(g, model().fit(big, epochs=3, no_threads=1))


def test_ctrl_c_in_the_callback_keeps_the_completed_epoch(small):
    def callback(info):
        if info.epoch == 2:
            raise KeyboardInterrupt

    g = model()
    with pytest.raises(KeyboardInterrupt):
        g.fit(small, epochs=4, no_threads=1, callback=callback)
    assert g.interrupted_
    same(g, model().fit(small, epochs=2, no_threads=1))  # the rollback does not undo a completed epoch


def test_checkpoints_saved_by_the_callback_resume_exactly(big, tmp_path):
    def checkpoint(info):
        info.model.save(tmp_path / f"epoch{info.epoch}.npz", training_state=True)

    model().fit(big, epochs=3, no_threads=1, memory="16M", tmp_dir=tmp_path, callback=checkpoint)
    resumed = Glove.load(tmp_path / "epoch2.npz")
    assert resumed.epochs_trained_ == 2
    resumed.fit(big, epochs=2, no_threads=1, resume=True)
    same(resumed, model().fit(big, epochs=4, no_threads=1))


def test_resume_counts_epochs_from_one_in_the_call(small):
    g = model().fit(small, epochs=2, no_threads=1)
    seen = []
    g.fit(small, epochs=2, no_threads=1, resume=True,
          callback=lambda info: seen.append((info.epoch, info.epochs, info.model.epochs_trained_)))
    assert seen == [(1, 2, 3), (2, 2, 4)]


def test_fine_tuning_with_a_callback(small):
    base = model().fit(small, epochs=2, no_threads=1).add_dictionary(WORDS)
    losses = []
    g = Glove(no_components=8, random_state=4, mittens=0.1).fit(small, epochs=2, no_threads=1, init=base,
                                                                dictionary=WORDS,
                                                                callback=lambda info: losses.append(info.loss))
    assert losses == g.loss_history_ and g.n_initialized_ == 200


@pytest.mark.parametrize("bad", ["print", 3, [len]])
def test_a_callback_that_is_not_callable_is_refused_before_training(small, bad):
    g = model()
    with pytest.raises(InvalidParameterError, match="callback must be a function"):
        g.fit(small, epochs=1, callback=bad)
    assert g.word_vectors is None


def test_no_epochs_no_call(small):
    calls = []
    model().fit(small, epochs=0, callback=calls.append)
    assert calls == []


# ------------------------------------------------------------------ the loop without GloVe
class Mean:
    """A second model in a few lines: the mean of some numbers by gradient descent, trained with
    run_epochs as Glove is (its parameters a 1x1 array updated in place)."""

    def __init__(self, data, rate, explode_at=None):
        self.data, self.rate, self.explode_at = data, rate, explode_at
        self.theta = np.zeros((1, 1))
        self.loss_history_, self.epoch_seconds_ = [], []
        self.training_seconds_, self.epochs_trained_, self.interrupted_ = 0.0, 0, False

    def step(self):
        if self.explode_at == self.epochs_trained_ + 1:
            self.theta[0, 0] = np.inf
        with np.errstate(invalid="ignore"):  # inf - inf: the divergence under test
            self.theta -= self.rate * (self.theta - self.data.mean())
        return float(((self.data - self.theta[0, 0]) ** 2).mean()), len(self.data)

    def fit(self, epochs, **kwargs):
        return run_epochs(self, epochs, self.step, Rollback([self.theta], in_ram=True), **kwargs)


def test_the_loop_trains_another_model():
    m = Mean(np.array([1.0, 2.0, 3.0, 6.0]), rate=0.5)
    infos = []
    assert m.fit(5, callback=infos.append) == 5
    assert m.theta[0, 0] == pytest.approx(3.0 * (1 - 0.5**5))
    assert m.loss_history_ == sorted(m.loss_history_, reverse=True) and m.epochs_trained_ == 5
    assert [i.updates for i in infos] == [4] * 5 and isinstance(infos[0], EpochInfo)


def test_the_loop_rolls_back_a_diverged_epoch():
    m = Mean(np.array([1.0, 3.0]), rate=0.5, explode_at=3)
    with pytest.raises(TrainingDivergedError, match=r"epoch 3 \(the loss became (inf|nan)\).*epoch 2\. Try less"):
        m.fit(5, advice="Try less")
    assert m.theta[0, 0] == pytest.approx(2.0 * 0.75) and m.epochs_trained_ == 2


def test_the_loop_rolls_back_an_epoch_that_fails():
    m = Mean(np.array([1.0, 3.0]), rate=0.5)
    real = m.step

    def failing():
        real()  # the parameters move, then the epoch fails
        if m.epochs_trained_ == 1:
            raise OSError("disk gone")
        return real()

    with pytest.raises(OSError):
        run_epochs(m, 3, failing, Rollback([m.theta], in_ram=True))
    assert m.epochs_trained_ == 1 and m.theta[0, 0] == pytest.approx(2.0 * 0.75)


# ------------------------------------------------------------------ the command line's per-epoch lines
@pytest.mark.parametrize("flags, shown", [([], True), (["-vv"], True), (["-q"], False)])
def test_train_prints_each_epoch_once_through_the_callback(tmp_path, capsys, flags, shown):
    from glovefast.cli import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b d\n" * 20)
    assert main(["train", str(corpus), "-o", str(tmp_path / "o.txt"), "--epochs", "3", "--dim", "2", "--threads",
                 "1", "--min-count", "1", *flags]) == 0
    err = capsys.readouterr().err
    for epoch in (1, 2, 3):
        assert err.count(f"epoch {epoch}/3: loss") == (1 if shown else 0), err


def test_demo_v_prints_the_epochs(capsys):
    from glovefast.cli import main

    assert main(["demo", "--epochs", "2", "--dim", "4", "--threads", "1", "-v"]) == 0
    err = capsys.readouterr().err
    assert err.count("epoch 2/2: loss") == 1
