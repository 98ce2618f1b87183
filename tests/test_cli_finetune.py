"""``glovefast train --init/--mittens`` and ``--resume``, driven through the command line."""
import numpy as np
import pytest

from glovefast import Corpus, Glove
from glovefast.vectors.word_vectors import WordVectors
from test_cli import assert_one_error_line, make_text, run

COUNT = ["--window", "4", "--min-count", "2"]
RUN = ["--threads", "1", "--dtype", "float64", "--x-max", "10"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two corpora over the same words (different seeds) and vectors pretrained on the first."""
    root = tmp_path_factory.mktemp("finetune")
    first, second = root / "first.txt", root / "second.txt"
    first.write_text(make_text(800, seed=1), encoding="utf-8")
    second.write_text(make_text(800, seed=2), encoding="utf-8")
    corpus = Corpus().fit(str(first), window=4, min_count=2)
    model = Glove(no_components=12, max_count=10, random_state=0).fit(corpus.matrix, epochs=5, no_threads=1,
                                                                      dictionary=corpus.dictionary)
    model.wv.save_word2vec_format(root / "pre.txt")
    model.save(root / "pre_model.npz")
    return {"root": root, "first": first, "second": second, "pre": root / "pre.txt",
            "pre_model": root / "pre_model.npz"}


def test_init_and_mittens_train_what_the_api_trains(cli, files):
    out = files["root"] / "tuned.npz"
    proc = cli("train", files["second"], "-o", out, "--init", files["pre"], "--mittens", "0.5", "--epochs", "3",
               "--seed", "4", *COUNT, *RUN)
    assert proc.returncode == 0, proc.stderr
    assert "initialised" in proc.stderr and "mittens 0.5" in proc.stderr
    corpus = Corpus().fit(str(files["second"]), window=4, min_count=2, no_threads=1)
    api = Glove(no_components=12, max_count=10, random_state=4, dtype=np.float64, mittens=0.5).fit(
        corpus.matrix, epochs=3, no_threads=1, init=str(files["pre"]), dictionary=corpus.dictionary)
    wv = WordVectors.load(out)
    assert wv.vector_size == 12  # --dim came from the --init vectors
    np.testing.assert_array_equal(wv.vectors, api.word_vectors)
    assert 0 < api.n_initialized_ <= len(corpus.dictionary)


def test_init_from_a_saved_model_uses_its_biases(cli, files):
    out = files["root"] / "from_model.npz"
    model_out = files["root"] / "from_model_state.npz"
    proc = cli("train", files["second"], "-o", out, "--init", files["pre_model"], "--epochs", "1", "--seed", "4",
               "--save-model", model_out, *COUNT, *RUN)
    assert proc.returncode == 0, proc.stderr
    assert "W, W~ and biases copied" in proc.stderr


def test_resume_continues_the_run_exactly(cli, files, tmp_path):
    common = [files["first"], *COUNT, *RUN]
    assert cli("train", *common, "-o", tmp_path / "ten.npz", "--epochs", "6", "--seed", "9").returncode == 0
    assert cli("train", *common, "-o", tmp_path / "five.npz", "--epochs", "3", "--seed", "9",
               "--save-model", tmp_path / "run.npz").returncode == 0
    resume = ["train", files["first"], *COUNT, "--threads", "1", "-o", tmp_path / "resumed.npz", "--epochs", "3",
              "--resume", tmp_path / "run.npz", "--save-model", tmp_path / "run.npz"]
    proc = cli(*resume)
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stderr and "after 3 epochs" in proc.stderr
    np.testing.assert_array_equal(WordVectors.load(tmp_path / "resumed.npz").vectors,
                                  WordVectors.load(tmp_path / "ten.npz").vectors)
    assert Glove.load(tmp_path / "run.npz").epochs_trained_ == 6  # saved again: resumable once more


def test_resume_in_a_subprocess(files, tmp_path):
    base = ["train", files["first"], *COUNT, "--threads", "1", "--quiet"]
    assert run(*base, "-o", tmp_path / "a.txt", "--epochs", "2", "--save-model", tmp_path / "m.npz").returncode == 0
    proc = run(*base, "-o", tmp_path / "b.txt", "--epochs", "1", "--resume", tmp_path / "m.npz")
    assert proc.returncode == 0, proc.stderr
    assert len(WordVectors.load_word2vec_format(tmp_path / "b.txt")) == len(
        WordVectors.load_word2vec_format(tmp_path / "a.txt"))


def test_fine_tuning_and_resume_errors(cli, files, tmp_path):
    out = ["-o", tmp_path / "x.txt"]
    assert_one_error_line(cli("train", files["second"], *out, "--mittens", "0.1"), 2, "--mittens", "--init")
    assert_one_error_line(cli("train", files["second"], *out, "--init", files["pre"], "--dim", "7"), 2,
                          "--dim 7", "dimension 12")
    assert_one_error_line(cli("train", files["second"], *out, "--init", tmp_path / "missing.txt"), 2,
                          "missing.txt")
    assert_one_error_line(cli("train", files["second"], *out, "--resume", files["pre_model"], "--dim", "12",
                              "--seed", "1"), 2, "--dim, --seed", files["pre_model"].name)
    # a model saved without training state (Glove.save's default)
    assert_one_error_line(cli("train", files["second"], *out, "--resume", files["pre_model"], "-q"), 2,
                          "no training state")
    # a model with state, resumed on a corpus with another vocabulary
    state = tmp_path / "state.npz"
    assert cli("train", files["first"], *COUNT, *RUN, "-o", tmp_path / "y.txt", "--epochs", "1", "--save-model",
               state).returncode == 0
    assert_one_error_line(cli("train", files["second"], "--min-count", "5", *out, "--resume", state, "--epochs",
                              "1", "-q"), 2, "cannot resume")
    assert_one_error_line(cli("train", files["second"], *out, "--mittens", "-1", "--init", files["pre"]), 2,
                          "--mittens")
