"""``glovefast train --model sgns|cbow`` and ``glovefast demo --model ...`` through the real command
(in process, and as a child process where stdin or a signal is involved): the same outputs,
epoch lines, resume, plots and refusals as GloVe's, flags generated from Word2Vec's spec."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import glovefast
from glovefast import Word2Vec, WordVectors

from conftest import python_sigint, write_corpus

PACKAGE_ROOT = Path(glovefast.__file__).resolve().parent.parent
OPTS = ["--dim", "10", "--window", "3", "--min-count", "1", "--epochs", "2", "--seed", "5", "--threads", "1"]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


@pytest.fixture
def text(tmp_path):
    return write_corpus(tmp_path / "c.txt", n_words=50, n_docs=400, seed=2)


@pytest.mark.parametrize("model, sg", [("sgns", 1), ("cbow", 0)])
def test_train_writes_the_vectors_the_library_trains(cli, text, tmp_path, model, sg):
    out = tmp_path / "v.npz"
    proc = cli("train", text, "-o", out, "--model", model, *OPTS, "--negative", "3", "--sample", "0")
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1/2: loss" in proc.stderr and "epoch 2/2: loss" in proc.stderr
    assert ("skip-gram" if sg else "CBOW") in proc.stderr
    wv = WordVectors.load(out)
    ref = Word2Vec(vector_size=10, window=3, min_count=1, epochs=2, random_state=5, no_threads=1, sg=sg, negative=3,
                   sample=0).fit(text)
    assert wv.index_to_key == ref.wv.index_to_key
    np.testing.assert_array_equal(wv.vectors, ref.word_vectors)


def test_word2vec_text_output_and_defaults(cli, text, tmp_path):
    out = tmp_path / "v.txt"
    proc = cli("train", text, "-o", out, "--model", "cbow", "--min-count", "1", "--dim", "8", "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    assert "epoch 5/5" in proc.stderr  # word2vec's 5 epochs, not GloVe's 10
    assert "alpha 0.05 -> 5e-06" in proc.stderr and "window 5" in proc.stderr
    wv = WordVectors.load_word2vec_format(out)
    assert len(wv) == 50 and wv.vector_size == 8


def test_save_model_resume_and_convert(cli, text, tmp_path):
    model = tmp_path / "m.npz"
    first = cli("train", text, "-o", tmp_path / "a.txt", "--model", "sgns", *OPTS, "--save-model", model)
    assert first.returncode == 0, first.stderr
    saved = Word2Vec.load(model)
    assert saved.has_training_state and saved.epochs_trained_ == 2 and saved.sg == 1
    # a finished run needs --epochs to go on; then it trains that many more
    done = cli("train", text, "-o", tmp_path / "b.txt", "--model", "sgns", "--resume", model)
    assert done.returncode == 2 and "give --epochs N to train N more" in done.stderr
    more = cli("train", text, "-o", tmp_path / "b.txt", "--model", "sgns", "--resume", model, "--epochs", "1",
               "--threads", "1", "--save-model", model)
    assert more.returncode == 0, more.stderr
    assert Word2Vec.load(model).epochs_trained_ == 3
    wrong = cli("train", text, "-o", tmp_path / "d.txt", "--model", "cbow", "--resume", model, "--epochs", "1")
    assert wrong.returncode == 2 and "resume it with --model sgns" in wrong.stderr
    glove = cli("train", text, "-o", tmp_path / "d.txt", "--resume", model, "--epochs", "1")
    assert glove.returncode == 2 and "holds a Word2Vec run: resume it with --model sgns or cbow" in glove.stderr
    flags = cli("train", text, "-o", tmp_path / "d.txt", "--model", "sgns", "--resume", model, "--negative", "2")
    assert flags.returncode == 2 and "--negative: a resumed run keeps the settings" in flags.stderr
    # convert and the query commands read the model file
    converted = cli("convert", model, tmp_path / "m.txt")
    assert converted.returncode == 0, converted.stderr
    assert WordVectors.load_word2vec_format(tmp_path / "m.txt").index_to_key == saved.wv.index_to_key
    similar = cli("similar", model, "w1", "-n", "2")
    assert similar.returncode == 0 and len(similar.stdout.splitlines()) == 2


def test_a_stopped_run_resumes_to_the_end_of_its_schedule(text, tmp_path):
    """Stopped after 2 of 4 epochs, --resume without --epochs trains the other 2, as one 4-epoch run."""
    run = Word2Vec(vector_size=10, window=3, min_count=1, epochs=4, random_state=5, no_threads=1)
    run.fit(text, callback=lambda info: info.epoch == 2)
    run.save(tmp_path / "half.npz", training_state=True)
    proc = subprocess.run([sys.executable, "-m", "glovefast", "train", str(text), "-o", str(tmp_path / "v.npz"),
                           "--model", "cbow", "--resume", str(tmp_path / "half.npz"), "--threads", "1"],
                          capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stderr and "epoch 2/2" in proc.stderr
    full = Word2Vec(vector_size=10, window=3, min_count=1, epochs=4, random_state=5, no_threads=1).fit(text)
    np.testing.assert_array_equal(WordVectors.load(tmp_path / "v.npz").vectors, full.word_vectors)


def test_flags_of_the_other_model_are_refused(cli, text, tmp_path):
    out = tmp_path / "v.txt"
    for flags in (["--x-max", "5"], ["--alpha", "0.5"], ["--mittens", "0.1"], ["--matrix", text]):
        proc = cli("train", text, "-o", out, "--model", "sgns", *flags)
        assert proc.returncode == 2 and "only apply to GloVe (--model glove)" in proc.stderr, proc.stderr
    for flags in (["--negative", "3"], ["--sample", "0"], ["--cbow-mean", "0"], ["--shrink-windows", "no"],
                  ["--min-learning-rate", "0.001"], ["--ns-exponent", "0.5"]):
        proc = cli("train", text, "-o", out, *flags)
        assert proc.returncode == 2 and "only apply to word2vec (--model sgns or cbow)" in proc.stderr, proc.stderr
    assert not out.exists()


def test_bad_values_are_one_line_errors(cli, text, tmp_path):
    out = tmp_path / "v.txt"
    for flags, fragment in ((["--negative", "0"], "--negative"), (["--sample", "-1"], "--sample"),
                            (["--cbow-mean", "2"], "--cbow-mean"), (["--shrink-windows", "maybe"], "yes or no"),
                            (["--window", "0"], "--window"), (["--ns-exponent", "nan"], "finite"),
                            (["--learning-rate", "0.01", "--min-learning-rate", "0.1"], "must not exceed")):
        proc = cli("train", text, "-o", out, "--model", "cbow", *flags)
        assert proc.returncode == 2, (flags, proc.stderr)
        assert fragment in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not out.exists()


def test_never_overwrites_its_input(cli, text):
    before = text.read_bytes()
    proc = cli("train", text, "-o", text, "--model", "sgns", "--min-count", "1")
    assert proc.returncode == 2 and "corpus file" in proc.stderr
    assert text.read_bytes() == before


def test_reads_standard_input(text, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "glovefast", "train", "-", "-o", str(tmp_path / "v.npz"),
                           "--model", "cbow", *OPTS], input=text.read_bytes(), capture_output=True, env=_env(),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert WordVectors.load(tmp_path / "v.npz").vectors.shape == (50, 10)


def test_plots_without_the_glove_weighting(cli, text, tmp_path):
    pytest.importorskip("matplotlib")
    proc = cli("train", text, "-o", tmp_path / "v.txt", "--model", "sgns", *OPTS, "--plot", tmp_path / "plots")
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(tmp_path / "plots")) == ["loss.png", "norms.png"]


@pytest.mark.parametrize("model, name", [("sgns", "skip-gram"), ("cbow", "CBOW")])
def test_demo_trains_word2vec(cli, model, name):
    proc = cli("demo", "--model", model, "--epochs", "1", "--dim", "10", "--threads", "1", "--words", "king", "-n",
               "2")
    assert proc.returncode == 0, proc.stderr
    assert f"trained 10-dimensional {name} vectors for 1 epoch" in proc.stdout
    assert "read 330,264 tokens: 3,035 words" in proc.stdout
    assert f"--model {model}" in proc.stdout


def test_sigterm_keeps_the_last_completed_epoch(tmp_path):
    """SIGTERM during training: exit 143 with the vectors of the last completed epoch written."""
    text = write_corpus(tmp_path / "big.txt", n_words=500, n_docs=20000, length=40, seed=1)
    out = tmp_path / "v.npz"
    with python_sigint():
        proc = subprocess.Popen([sys.executable, "-m", "glovefast", "train", str(text), "-o", str(out), "--model",
                                 "sgns", "--dim", "32", "--epochs", "1000", "--min-count", "1", "--threads", "1",
                                 "--sample", "0"], stderr=subprocess.PIPE, env=_env(), text=True)
        deadline = time.monotonic() + 120
        lines = []
        for line in proc.stderr:  # wait for the first completed epoch
            lines.append(line)
            if "epoch 1/1000" in line or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 143, "".join(lines) + rest
    assert "saved the vectors of epoch" in rest
    assert WordVectors.load(out).vectors.shape == (500, 32)


def test_init_from_pretrained_vectors(cli, text, tmp_path):
    first = cli("train", text, "-o", tmp_path / "a.txt", "--model", "cbow", *OPTS)
    assert first.returncode == 0, first.stderr
    tuned = cli("train", text, "-o", tmp_path / "b.txt", "--model", "cbow", "--init", tmp_path / "a.txt",
                "--min-count", "1", "--epochs", "1", "--threads", "1")
    assert tuned.returncode == 0, tuned.stderr
    assert "initialised 50 of 50 words from 50 pretrained vectors" in tuned.stderr
    assert WordVectors.load_word2vec_format(tmp_path / "b.txt").vector_size == 10  # --dim from the vectors
    wrong = cli("train", text, "-o", tmp_path / "e.txt", "--model", "cbow", "--init", tmp_path / "a.txt",
                "--dim", "20")
    assert wrong.returncode == 2 and "--dim 20 differs from the dimension 10" in wrong.stderr
